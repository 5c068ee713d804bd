using BenchmarkDotNet.Attributes;
using NitroLive.Core.Text;

namespace NitroLive.Bench;

/// <summary>
/// CLIP tokenization of a 20-word prompt with the BPE word cache warm (the same words seen before: the common case
/// while someone types) and cold (a freshly loaded tokenizer: every word runs the BPE merges).
/// </summary>
[MemoryDiagnoser]
public class TokenizerWarmBenchmarks
{
    private readonly long[] _ids = new long[77];
    private ClipTokenizer _tokenizer = null!;

    /// <summary>Which tokenizer tables.</summary>
    [ParamsSource(nameof(Tokenizers))]
    public string Tokenizer { get; set; } = "clip-vit-l14";

    /// <summary>The tokenizers available on this machine.</summary>
    public static IEnumerable<string> Tokenizers() => BenchData.TokenizerNames();

    /// <summary>Loads the tokenizer and fills its word cache.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _tokenizer = BenchData.LoadTokenizer(Tokenizer);
        _tokenizer.Encode(BenchData.TwentyWordPrompt, _ids);
    }

    /// <summary>Encode into the 77-id buffer the pipeline reuses.</summary>
    [Benchmark(Baseline = true)]
    public long EncodeWarm()
    {
        _tokenizer.Encode(BenchData.TwentyWordPrompt, _ids);
        return _ids[1];
    }

    /// <summary>Text cleaning alone (ftfy-style fixes, HTML unescape, lower-casing): the part no cache helps.</summary>
    [Benchmark]
    public int NormalizeOnly() => _tokenizer.Normalize(BenchData.TwentyWordPrompt).Length;
}

/// <summary>The same encode on a tokenizer that has never seen the words (one fresh tokenizer per measured call).</summary>
[MemoryDiagnoser]
[InvocationCount(1, 1)]
[WarmupCount(2)]
[IterationCount(15)]
public class TokenizerColdBenchmarks
{
    private readonly long[] _ids = new long[77];
    private ClipTokenizer _tokenizer = null!;

    /// <summary>Which tokenizer tables.</summary>
    [ParamsSource(nameof(Tokenizers))]
    public string Tokenizer { get; set; } = "clip-vit-l14";

    /// <summary>The tokenizers available on this machine.</summary>
    public static IEnumerable<string> Tokenizers() => BenchData.TokenizerNames();

    /// <summary>A new tokenizer, so its word cache is empty; loading is not measured.</summary>
    [IterationSetup]
    public void FreshTokenizer() => _tokenizer = BenchData.LoadTokenizer(Tokenizer);

    /// <summary>Encode with an empty word cache.</summary>
    [Benchmark]
    public long EncodeCold()
    {
        _tokenizer.Encode(BenchData.TwentyWordPrompt, _ids);
        return _ids[1];
    }
}
