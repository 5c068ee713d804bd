using Microsoft.ML.OnnxRuntime;
using NitroLive.Core.Models;
using NitroLive.Core.Text;

namespace NitroLive.Core.Pipeline;

/// <summary>
/// Inputs and outputs of both text encoders at batch 1, allocated once. Widths the files leave dynamic are learnt from one
/// probe run at load, so every later run writes into these same buffers.
/// </summary>
internal sealed class TextEncoderBuffers : IDisposable
{
    private readonly long[] _ids1;
    private readonly long[] _ids2;
    private readonly HostTensor _input1;
    private readonly HostTensor _input2;
    private readonly HostTensor _hidden1;
    private readonly HostTensor _hidden2;
    private readonly HostTensor _pooled;
    private readonly string[] _inputNames = ["input_ids"];
    private readonly OrtValue[] _inputs1;
    private readonly OrtValue[] _inputs2;
    private readonly string[] _outputNames1;
    private readonly OrtValue[] _outputs1;
    private readonly string[] _outputNames2;
    private readonly OrtValue[] _outputs2;

    public TextEncoderBuffers(ModelFolder folder, int tokens, InferenceSession textEncoder1, InferenceSession textEncoder2)
    {
        Tokens = tokens;
        var te1 = folder.TextEncoder;
        var te2 = folder.TextEncoder2;
        _ids1 = new long[tokens];
        _ids2 = new long[tokens];
        _input1 = new HostTensor(te1.InputIdsType, [1, tokens]);
        _input2 = new HostTensor(te2.InputIdsType, [1, tokens]);
        _inputs1 = [_input1.Value];
        _inputs2 = [_input2.Value];

        using var probeOptions = new RunOptions();
        Width1 = checked((int)(te1.HiddenSize ?? Probe(textEncoder1, _inputs1, te1.PenultimateHiddenState, probeOptions)));
        Width2 = checked((int)(te2.HiddenSize ?? Probe(textEncoder2, _inputs2, te2.PenultimateHiddenState, probeOptions)));
        PooledWidth = checked((int)(te2.PooledSize ?? Probe(textEncoder2, _inputs2, te2.PooledOutput!, probeOptions)));

        _hidden1 = new HostTensor(te1.HiddenStateType, [1, tokens, Width1]);
        _hidden2 = new HostTensor(te2.HiddenStateType, [1, tokens, Width2]);
        _pooled = new HostTensor(te2.PooledType, [1, PooledWidth]);
        _outputNames1 = [te1.PenultimateHiddenState];
        _outputs1 = [_hidden1.Value];
        _outputNames2 = [te2.PooledOutput!, te2.PenultimateHiddenState];
        _outputs2 = [_pooled.Value, _hidden2.Value];
    }

    public int Tokens { get; }

    public int Width1 { get; }

    public int Width2 { get; }

    /// <summary>D1 + D2: the width of encoder_hidden_states.</summary>
    public int HiddenWidth => Width1 + Width2;

    public int PooledWidth { get; }

    public void Tokenize(string prompt, ClipTokenizer tokenizer1, ClipTokenizer tokenizer2)
    {
        // SDXL's prompt_2 defaults to prompt: both tokenizers see the same text (each with its own padding).
        tokenizer1.Encode(prompt, _ids1);
        tokenizer2.Encode(prompt, _ids2);
        _input1.WriteIds(_ids1);
        _input2.WriteIds(_ids2);
    }

    /// <summary>Runs both encoders on the tokenized prompt; the result lands in <paramref name="reuse"/>'s arrays when they fit.</summary>
    public PromptEmbedding Encode(InferenceSession textEncoder1, InferenceSession textEncoder2, RunOptions runOptions, PromptEmbedding? reuse = null)
    {
        textEncoder1.Run(runOptions, _inputNames, _inputs1, _outputNames1, _outputs1);
        textEncoder2.Run(runOptions, _inputNames, _inputs2, _outputNames2, _outputs2);

        var embedding = reuse is not null && reuse.Hidden.Length == Tokens * HiddenWidth && reuse.Pooled.Length == PooledWidth
            ? reuse
            : new PromptEmbedding(new float[Tokens * HiddenWidth], new float[PooledWidth]);

        // encoder_hidden_states = concat(TE1 hidden_states[-2], TE2 hidden_states[-2]) along the last axis.
        var hidden = embedding.Hidden;
        for (var t = 0; t < Tokens; t++)
        {
            _hidden1.ReadFloats(t * Width1, hidden.AsSpan(t * HiddenWidth, Width1));
            _hidden2.ReadFloats(t * Width2, hidden.AsSpan((t * HiddenWidth) + Width1, Width2));
        }

        _pooled.ReadFloats(0, embedding.Pooled);
        return embedding;
    }

    public void Dispose()
    {
        _input1.Dispose();
        _input2.Dispose();
        _hidden1?.Dispose();
        _hidden2?.Dispose();
        _pooled?.Dispose();
    }

    private static long Probe(InferenceSession session, OrtValue[] inputs, string output, RunOptions runOptions)
    {
        using var results = session.Run(runOptions, ["input_ids"], inputs, [output]);
        var shape = results[0].GetTensorTypeAndShape().Shape;
        return shape[^1];
    }
}
