using Microsoft.ML.OnnxRuntime;
using NitroLive.Core.Models;

namespace NitroLive.Core.Pipeline;

/// <summary>
/// Two tiny Identity graphs that copy host tensors into fixed device buffers through IOBinding: one for the conditioning
/// (once per generation) and one for the timestep (once per step). Shared by every shape: their dimensions are open.
/// </summary>
internal sealed class UnetUploadGraphs : IDisposable
{
    public static readonly string[] ConditioningNames = ["encoder_hidden_states", "text_embeds", "time_ids"];
    public const string TimestepName = "timestep";

    public UnetUploadGraphs(UnetLayout unet, Func<SessionOptions> sessionOptions)
    {
        var conditioning = Upload([
            (ConditioningNames[0], unet.EncoderHiddenStatesType),
            (ConditioningNames[1], unet.TextEmbedsType),
            (ConditioningNames[2], unet.TimeIdsType)]);
        var timestep = Upload([(TimestepName, unet.TimestepType)]);
        try
        {
            Conditioning = LatentStepGraphs.Open(conditioning, sessionOptions);
            Timestep = LatentStepGraphs.Open(timestep, sessionOptions);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public InferenceSession Conditioning { get; } = null!;

    public InferenceSession Timestep { get; } = null!;

    /// <summary>The output that receives input <paramref name="name"/>.</summary>
    public static string Uploaded(string name) => name + "_device";

    public void Dispose()
    {
        Conditioning?.Dispose();
        Timestep?.Dispose();
    }

    private static byte[] Upload(IEnumerable<(string Name, Microsoft.ML.OnnxRuntime.Tensors.TensorElementType Type)> tensors)
    {
        var list = tensors.ToList();

        // No declared shape: one graph serves every batch, size and timestep rank.
        return OnnxModelWriter.Build(
            list.Select(t => new OnnxTensorInfo(t.Name, t.Type, null)),
            list.Select(t => new OnnxTensorInfo(Uploaded(t.Name), t.Type, null)),
            list.Select(t => new OnnxNodeSpec("Identity", [t.Name], [Uploaded(t.Name)])));
    }

}

/// <summary>
/// A UNet session opened for exactly one <see cref="BufferSet"/> shape, every input and output bound to a device buffer
/// that never moves: what ONNX Runtime's CUDA graphs need to replay a captured run. Owned by <see cref="DeviceLatents"/>,
/// so it is disposed with its buffer set.
/// </summary>
internal sealed class UnetShapeSession : IDisposable
{
    private readonly BufferSet _set;
    private readonly UnetUploadGraphs _uploads;
    private readonly InferenceSession _session;
    private readonly OrtValue[] _conditioning;
    private readonly OrtValue _timestep;
    private readonly OrtIoBinding _conditioningBinding;
    private readonly OrtIoBinding _timestepBinding;
    private readonly OrtIoBinding _unetBinding;
    private readonly List<IDisposable> _owned = [];

    /// <summary>Takes ownership of <paramref name="session"/>, also when it throws.</summary>
    public UnetShapeSession(InferenceSession session, UnetUploadGraphs uploads, BufferSet set, OrtAllocator allocator, OrtValue sample, OrtValue eps)
    {
        _session = session;
        _set = set;
        _uploads = uploads;
        try
        {
            HostTensor[] hosts = [set.EncoderHiddenStates, set.TextEmbeds, set.TimeIds];
            _conditioning = [.. hosts.Select(h => Own(OrtValue.CreateAllocatedTensorValue(allocator, h.ElementType, h.Shape)))];
            _timestep = Own(OrtValue.CreateAllocatedTensorValue(allocator, set.Timestep.ElementType, set.Timestep.Shape));

            _conditioningBinding = Own(uploads.Conditioning.CreateIoBinding());
            for (var i = 0; i < _conditioning.Length; i++)
            {
                _conditioningBinding.BindOutput(UnetUploadGraphs.Uploaded(UnetUploadGraphs.ConditioningNames[i]), _conditioning[i]);
            }

            _timestepBinding = Own(uploads.Timestep.CreateIoBinding());
            _timestepBinding.BindOutput(UnetUploadGraphs.Uploaded(UnetUploadGraphs.TimestepName), _timestep);

            _unetBinding = Own(session.CreateIoBinding());
            _unetBinding.BindInput("sample", sample);
            _unetBinding.BindInput(UnetUploadGraphs.TimestepName, _timestep);
            for (var i = 0; i < _conditioning.Length; i++)
            {
                _unetBinding.BindInput(UnetUploadGraphs.ConditioningNames[i], _conditioning[i]);
            }

            _unetBinding.BindOutput("out_sample", eps);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>UNet runs that completed on this session (for tests and logs).</summary>
    public int Runs { get; private set; }

    public bool IsDisposed { get; private set; }

    /// <summary>Copies the buffer set's conditioning (host) into the fixed device buffers.</summary>
    public void UploadConditioning(RunOptions runOptions)
    {
        // A host input is copied to the device when it is bound, so it is bound again for every upload.
        HostTensor[] hosts = [_set.EncoderHiddenStates, _set.TextEmbeds, _set.TimeIds];
        for (var i = 0; i < hosts.Length; i++)
        {
            _conditioningBinding.BindInput(UnetUploadGraphs.ConditioningNames[i], hosts[i].Value);
        }

        _uploads.Conditioning.RunWithBinding(runOptions, _conditioningBinding);
    }

    /// <summary>Uploads the buffer set's timestep, then runs the UNet from the device sample into the device eps.</summary>
    public void Run(RunOptions runOptions)
    {
        _timestepBinding.BindInput(UnetUploadGraphs.TimestepName, _set.Timestep.Value);
        _uploads.Timestep.RunWithBinding(runOptions, _timestepBinding);
        _session.RunWithBinding(runOptions, _unetBinding);
        Runs++;
    }

    public void Dispose()
    {
        if (IsDisposed)
        {
            return;
        }

        IsDisposed = true;
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            _owned[i].Dispose();
        }

        _session.Dispose();
    }

    private T Own<T>(T disposable) where T : IDisposable
    {
        _owned.Add(disposable);
        return disposable;
    }
}
