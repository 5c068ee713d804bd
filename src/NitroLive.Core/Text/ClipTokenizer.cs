using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using Microsoft.ML.Tokenizers;

namespace NitroLive.Core.Text;

/// <summary>
/// The CLIP BPE tokenizer of the SDXL text encoders: OpenAI's SimpleTokenizer.encode (ftfy-style cleaning, HTML
/// unescaping, whitespace collapsing, lower-casing, CLIP's regex split, byte-level BPE with the "&lt;/w&gt;"
/// end-of-word suffix) over a Hugging Face CLIPTokenizer folder. Thread-safe.
/// </summary>
public sealed class ClipTokenizer
{
    private const string EndOfWordSuffix = "</w>";

    // Hugging Face's CLIPTokenizer (like OpenAI's) reads no more than 49152 - 256 - 2 merges.
    private const int MaxMerges = 49152 - 256 - 2;

    // Words seen before skip the BPE library entirely (its own cache only takes words of up to 15 bytes and still
    // costs a locked lookup per word). Bounded: once full, or for long words, results are not kept.
    private const int WordCacheCapacity = 20_000;
    private const int MaxCachedWordLength = 48;

    private readonly BpeTokenizer _bpe;
    private readonly ConcurrentDictionary<string, int[]> _wordCache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int[]>.AlternateLookup<ReadOnlySpan<char>> _wordLookup;
    private int _wordCacheCount;

    private ClipTokenizer(BpeTokenizer bpe, int bosId, int eosId, int padId, int maxLength)
    {
        _bpe = bpe;
        _wordLookup = _wordCache.GetAlternateLookup<ReadOnlySpan<char>>();
        BosId = bosId;
        EosId = eosId;
        PadId = padId;
        MaxLength = maxLength;
    }

    /// <summary>Id of the start-of-text token put first in every sequence.</summary>
    public int BosId { get; }

    /// <summary>Id of the end-of-text token put after the prompt's ids.</summary>
    public int EosId { get; }

    /// <summary>Id that fills the sequence after the end-of-text token.</summary>
    public int PadId { get; }

    /// <summary>Length of every encoded sequence (model_max_length, 77 for CLIP).</summary>
    public int MaxLength { get; }

    /// <summary>
    /// Loads vocab.json, merges.txt, special_tokens_map.json and tokenizer_config.json from a Hugging Face
    /// CLIPTokenizer folder.
    /// </summary>
    /// <exception cref="TokenizerLoadException">A file is missing or invalid; the message names it.</exception>
    public static ClipTokenizer Load(string tokenizerDirectory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(tokenizerDirectory);
        if (!Directory.Exists(tokenizerDirectory))
        {
            throw new TokenizerLoadException(tokenizerDirectory, "tokenizer folder not found.");
        }

        string vocabPath = Path.Combine(tokenizerDirectory, "vocab.json");
        string mergesPath = Path.Combine(tokenizerDirectory, "merges.txt");
        string specialPath = Path.Combine(tokenizerDirectory, "special_tokens_map.json");
        string configPath = Path.Combine(tokenizerDirectory, "tokenizer_config.json");

        var vocab = ReadVocabulary(vocabPath);
        var merges = ReadMerges(mergesPath);
        using var special = ReadJsonObject(specialPath);
        using var config = ReadJsonObject(configPath);

        int TokenId(string key, string fallback)
        {
            string token = TokenString(special, specialPath, key) ?? TokenString(config, configPath, key) ?? fallback;
            return vocab.TryGetValue(token, out int id)
                ? id
                : throw new TokenizerLoadException(vocabPath, $"the {key} '{token}' is not in the vocabulary.");
        }

        // Absent keys take CLIPTokenizer's defaults, as Hugging Face does; the ids always come from this vocabulary.
        int bos = TokenId("bos_token", "<|startoftext|>");
        int eos = TokenId("eos_token", "<|endoftext|>");
        int pad = TokenId("pad_token", "<|endoftext|>");
        int maxLength = ReadMaxLength(config, configPath);

        var specialTokens = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var token in new[] { "<|startoftext|>", "<|endoftext|>" })
        {
            // OpenAI's tokenizer maps these two pre-tokens straight to their ids (its BPE cache is seeded with them).
            if (vocab.TryGetValue(token, out int id))
            {
                specialTokens[token] = id;
            }
        }

        BpeTokenizer bpe;
        try
        {
            bpe = BpeTokenizer.Create(new BpeOptions(vocab)
            {
                Merges = merges,
                PreTokenizer = ClipPreTokenizer.Instance,
                ByteLevel = true,
                EndOfWordSuffix = EndOfWordSuffix,
                SpecialTokens = specialTokens,
            });
        }
        catch (InvalidOperationException ex)
        {
            throw new TokenizerLoadException(mergesPath, $"does not match vocab.json: {ex.Message}", ex);
        }

        return new ClipTokenizer(bpe, bos, eos, pad, maxLength);
    }

    /// <summary>The text as CLIP's pre-tokenizer sees it: ftfy-style fixes, HTML unescaped twice, whitespace
    /// collapsed and trimmed, lower-cased like Python's str.lower().</summary>
    [SuppressMessage("Performance", "CA1822:Mark members as static", Justification = "Instance API: callers hold a tokenizer, not its cleaning rules.")]
    public string Normalize(string text) => ClipTextCleaner.Clean(text);

    /// <summary>The BPE ids of <paramref name="text"/>, without start/end tokens, padding or truncation.</summary>
    public IReadOnlyList<int> EncodeRaw(string text)
    {
        string normalized = ClipTextCleaner.Clean(text);
        var ids = new List<int>(normalized.Length / 3);
        foreach (var (offset, length) in ClipPreTokenizer.Split(normalized))
        {
            ids.AddRange(EncodeWord(normalized.AsSpan(offset, length)));
        }

        return ids;
    }

    /// <summary>
    /// Writes exactly <see cref="MaxLength"/> ids: start token, the first MaxLength - 2 BPE ids, end token, then the
    /// pad id.
    /// </summary>
    public void Encode(string text, Span<long> destination)
    {
        if (destination.Length != MaxLength)
        {
            throw new ArgumentException($"The destination must hold exactly {MaxLength} ids, not {destination.Length}.", nameof(destination));
        }

        string normalized = ClipTextCleaner.Clean(text);
        destination[0] = BosId;
        int count = 1;
        int last = MaxLength - 1;

        // Only the first MaxLength - 2 ids are kept, so the split and BPE stop there (a partly kept word counts,
        // as in the reference's ids[:75]).
        foreach (var (offset, length) in ClipPreTokenizer.Split(normalized))
        {
            int[] wordIds = EncodeWord(normalized.AsSpan(offset, length));
            int take = Math.Min(wordIds.Length, last - count);
            for (int k = 0; k < take; k++)
            {
                destination[count++] = wordIds[k];
            }

            if (count == last)
            {
                break;
            }
        }

        destination[count++] = EosId;
        destination[count..].Fill(PadId);
    }

    /// <summary>The <see cref="MaxLength"/> ids of <paramref name="text"/>; see <see cref="Encode(string, Span{long})"/>.</summary>
    public long[] Encode(string text)
    {
        var ids = new long[MaxLength];
        Encode(text, ids);
        return ids;
    }

    private int[] EncodeWord(ReadOnlySpan<char> word)
    {
        if (_wordLookup.TryGetValue(word, out int[]? ids))
        {
            return ids;
        }

        // One pre-token: the library's byte-level BPE without its pre-tokenizer; "<|endoftext|>" and
        // "<|startoftext|>" come back as their special ids.
        ids = [.. _bpe.EncodeToIds(word, considerPreTokenization: false, considerNormalization: false)];
        if (word.Length <= MaxCachedWordLength && Volatile.Read(ref _wordCacheCount) < WordCacheCapacity
            && _wordLookup.TryAdd(word, ids))
        {
            Interlocked.Increment(ref _wordCacheCount);
        }

        return ids;
    }

    private static Dictionary<string, int> ReadVocabulary(string path)
    {
        using var document = ReadJsonObject(path);
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        var tokensById = new Dictionary<int, string>();
        foreach (var property in document.RootElement.EnumerateObject())
        {
            if (property.Value.ValueKind != JsonValueKind.Number || !property.Value.TryGetInt32(out int id) || id < 0)
            {
                throw new TokenizerLoadException(path, $"the id of '{property.Name}' is not a non-negative integer.");
            }

            if (!vocab.TryAdd(property.Name, id))
            {
                throw new TokenizerLoadException(path, $"'{property.Name}' appears twice.");
            }

            if (!tokensById.TryAdd(id, property.Name))
            {
                throw new TokenizerLoadException(path, $"'{tokensById[id]}' and '{property.Name}' share the id {id}.");
            }
        }

        // Every single byte, alone and at a word's end, must be a token, or some words could not be encoded.
        foreach (char symbol in ByteLevelAlphabet())
        {
            string s = symbol.ToString();
            if (!vocab.ContainsKey(s) || !vocab.ContainsKey(s + EndOfWordSuffix))
            {
                throw new TokenizerLoadException(path, $"not a byte-level CLIP vocabulary: '{s}' or '{s}{EndOfWordSuffix}' is missing.");
            }
        }

        return vocab;
    }

    private static List<string> ReadMerges(string path)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new TokenizerLoadException(path, File.Exists(path) ? $"cannot be read: {ex.Message}" : "file not found.", ex);
        }

        var merges = new List<string>(Math.Min(lines.Length, MaxMerges));
        for (int i = 0; i < lines.Length && merges.Count < MaxMerges; i++)
        {
            string line = lines[i];
            if (line.Length == 0 || (i == 0 && line.StartsWith("#version", StringComparison.Ordinal)))
            {
                continue;
            }

            int space = line.IndexOf(' ', StringComparison.Ordinal);
            if (space <= 0 || space == line.Length - 1 || line.IndexOf(' ', space + 1) >= 0)
            {
                throw new TokenizerLoadException(path, $"line {i + 1} is not two symbols separated by one space: '{line}'.");
            }

            merges.Add(line);
        }

        if (merges.Count == 0)
        {
            throw new TokenizerLoadException(path, "holds no merges.");
        }

        return merges;
    }

    private static JsonDocument ReadJsonObject(string path)
    {
        JsonDocument document;
        try
        {
            using var stream = File.OpenRead(path);
            document = JsonDocument.Parse(stream);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new TokenizerLoadException(path, "file not found.", ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new TokenizerLoadException(path, $"cannot be read: {ex.Message}", ex);
        }
        catch (JsonException ex)
        {
            throw new TokenizerLoadException(path, $"is not valid JSON: {ex.Message}", ex);
        }

        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            document.Dispose();
            throw new TokenizerLoadException(path, "must hold a JSON object.");
        }

        return document;
    }

    // Hugging Face writes special tokens either as "text" or as {"content": "text", ...}.
    private static string? TokenString(JsonDocument document, string path, string key)
    {
        if (!document.RootElement.TryGetProperty(key, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind == JsonValueKind.String)
        {
            return value.GetString();
        }

        if (value.ValueKind == JsonValueKind.Object
            && value.TryGetProperty("content", out var content)
            && content.ValueKind == JsonValueKind.String)
        {
            return content.GetString();
        }

        throw new TokenizerLoadException(path, $"'{key}' must be a string or an object with a string \"content\".");
    }

    private static int ReadMaxLength(JsonDocument config, string path)
    {
        if (!config.RootElement.TryGetProperty("model_max_length", out var value))
        {
            return 77;
        }

        // Tokenizers without a limit store a huge float here; CLIP folders store 77.
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out int maxLength) || maxLength is < 2 or > 4096)
        {
            throw new TokenizerLoadException(path, $"model_max_length must be an integer from 2 to 4096, not {value.GetRawText()}.");
        }

        return maxLength;
    }

    // GPT-2/CLIP bytes_to_unicode: printable Latin-1 bytes map to themselves, the other 68 bytes to U+0100 onwards.
    private static IEnumerable<char> ByteLevelAlphabet()
    {
        int shifted = 0;
        for (int b = 0; b < 256; b++)
        {
            bool printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            yield return printable ? (char)b : (char)(256 + shifted++);
        }
    }
}
