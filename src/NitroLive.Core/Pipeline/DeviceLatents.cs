using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using NitroLive.Core.Scheduling;

namespace NitroLive.Core.Pipeline;

/// <summary>
/// The latents of one <see cref="BufferSet"/> kept in device memory: the UNet, the step graphs and the VAE decoders are
/// joined by IOBinding (each decoder has its own input buffer and bindings, the last step writing the one a generation
/// decodes with), so between models only the noise and a few scalars go up and only the image comes down.
/// The conditioning is bound once per generation (copied to the device once, not once per step).
/// </summary>
internal sealed class DeviceLatents : IDisposable
{
    private readonly BufferSet _set;
    private readonly LatentStepGraphs _graphs;
    private readonly OrtAllocator? _ownedAllocator;
    private readonly OrtAllocator _allocator;
    private readonly OrtValue[] _latents;
    private readonly OrtValue _sample;
    private readonly OrtValue _eps;
    private readonly HostTensor _noise;
    private readonly HostTensor[] _scalars;
    private readonly OrtIoBinding _unetBinding;
    private readonly OrtIoBinding _initBinding;
    private readonly OrtIoBinding[] _stepBindings;
    private readonly InferenceSession[] _finals;
    private readonly OrtIoBinding[][] _finalBindings;
    private readonly OrtIoBinding[] _decoderBindings;
    private readonly List<IDisposable> _owned = [];
    private int _current;

    // decoders: the pipeline's, in DecoderStage.Index order (matching BufferSet.Decoders).
    public DeviceLatents(BufferSet set, LatentStepGraphs graphs, InferenceSession unet, IReadOnlyList<DecoderStage> decoders, OrtMemoryInfo device)
    {
        _set = set;
        _graphs = graphs;
        OrtAllocator allocator;
        if (device.Name == OrtMemoryInfo.DefaultInstance.Name)
        {
            allocator = OrtAllocator.DefaultInstance;
        }
        else
        {
            _ownedAllocator = new OrtAllocator(unet, device);
            allocator = _ownedAllocator;
        }

        _allocator = allocator;

        // A device out of memory for this shape fails part way: what was allocated so far goes back.
        try
        {
            var shape = set.Sample.Shape;
            OrtValue Device(TensorElementType type) => Own(OrtValue.CreateAllocatedTensorValue(allocator, type, shape));
            _latents = [Device(TensorElementType.Float), Device(TensorElementType.Float)];
            _sample = Device(set.Sample.ElementType);
            _eps = Device(set.OutSample.ElementType);
            var decoderIns = set.Decoders.Select(d => Device(d.In.ElementType)).ToArray();
            _noise = Own(new HostTensor(TensorElementType.Float, shape));
            _scalars = [.. Enumerable.Range(0, 8).Select(_ => Own(new HostTensor(TensorElementType.Float, [1])))];

            _unetBinding = Own(unet.CreateIoBinding());
            _unetBinding.BindInput("sample", _sample);
            _unetBinding.BindOutput("out_sample", _eps);

            _initBinding = Own(graphs.Init.CreateIoBinding());
            _initBinding.BindOutput("latents", _latents[0]);
            _initBinding.BindOutput("sample", _sample);

            _stepBindings = new OrtIoBinding[2];
            for (var from = 0; from < 2; from++)
            {
                var step = Own(graphs.Step.CreateIoBinding());
                step.BindInput("x", _latents[from]);
                step.BindInput("eps", _eps);
                step.BindOutput("latents", _latents[1 - from]);
                step.BindOutput("sample", _sample);
                _stepBindings[from] = step;
            }

            _finals = new InferenceSession[decoders.Count];
            _finalBindings = new OrtIoBinding[decoders.Count][];
            _decoderBindings = new OrtIoBinding[decoders.Count];
            foreach (var decoder in decoders)
            {
                var d = decoder.Index;
                _finals[d] = graphs.Final(set.Decoders[d].In.ElementType);
                var finals = new OrtIoBinding[2];
                for (var from = 0; from < 2; from++)
                {
                    var final = Own(_finals[d].CreateIoBinding());
                    final.BindInput("x", _latents[from]);
                    final.BindInput("eps", _eps);
                    final.BindOutput("decoder_in", decoderIns[d]);
                    finals[from] = final;
                }

                _finalBindings[d] = finals;
                var binding = Own(decoder.Session.CreateIoBinding());
                binding.BindInput("latent_sample", decoderIns[d]);
                binding.BindOutput("sample", set.Decoders[d].Out.Value);
                _decoderBindings[d] = binding;
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Noise of the whole batch for the next upload (initial latents or a re-noising step), in host memory.</summary>
    public Span<float> Noise => _noise.As<float>();

    /// <summary>
    /// The UNet session for exactly this shape (CUDA graphs), when <see cref="PipelineOptions.UseCudaGraphs"/> opened one;
    /// null runs the pipeline's shared UNet session.
    /// </summary>
    public UnetShapeSession? Shape { get; private set; }

    /// <summary>Runs the UNet of this shape on <paramref name="session"/> from now on (taking ownership, also when it throws).</summary>
    public void AttachShapeSession(InferenceSession session, UnetUploadGraphs uploads) =>
        Shape = new UnetShapeSession(session, uploads, _set, _allocator, _sample, _eps);

    /// <summary>Goes back to the shared UNet session (whose conditioning this generation has not bound yet).</summary>
    public void DropShapeSession()
    {
        Shape?.Dispose();
        Shape = null;
        BindHostConditioning();
    }

    /// <summary>Uploads <see cref="Noise"/> as the initial latents; binds this generation's conditioning once.</summary>
    public void Start(RunOptions runOptions)
    {
        if (Shape is null)
        {
            BindHostConditioning();
        }

        _initBinding.BindInput("z", _noise.Value);
        _graphs.Init.RunWithBinding(runOptions, _initBinding);
        _current = 0;
    }

    public void RunUnet(InferenceSession unet, RunOptions runOptions)
    {
        _unetBinding.BindInput("timestep", _set.Timestep.Value);
        unet.RunWithBinding(runOptions, _unetBinding);
    }

    /// <summary>
    /// Steps the device latents; <see cref="Noise"/> must hold this step's noise when the schedule re-noises. The last
    /// step writes <paramref name="decoder"/>'s input.
    /// </summary>
    public void Step(LcmSchedule schedule, int stepIndex, DecoderStage decoder, RunOptions runOptions)
    {
        var s = schedule.Float32Scalars[stepIndex];
        if (schedule.NeedsNoise(stepIndex))
        {
            var binding = _stepBindings[_current];
            Bind(binding, LatentStepGraphs.StepScalarNames, [s.SqrtBetaProdT, s.SqrtAlphaProdT, s.COut, s.CSkip, s.SqrtAlphaProdTPrev, s.SqrtBetaProdTPrev]);
            binding.BindInput("z", _noise.Value);
            _graphs.Step.RunWithBinding(runOptions, binding);
            _current = 1 - _current;
        }
        else
        {
            var binding = _finalBindings[decoder.Index][_current];
            Bind(binding, LatentStepGraphs.FinalScalarNames, [s.SqrtBetaProdT, s.SqrtAlphaProdT, s.COut, s.CSkip, decoder.Scale, decoder.Shift]);
            _finals[decoder.Index].RunWithBinding(runOptions, binding);
        }
    }

    public void Decode(DecoderStage decoder, RunOptions runOptions)
    {
        var binding = _decoderBindings[decoder.Index];
        decoder.Session.RunWithBinding(runOptions, binding);
        binding.SynchronizeBoundOutputs();
    }

    public void Dispose()
    {
        Shape?.Dispose();
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            _owned[i].Dispose();
        }

        _ownedAllocator?.Dispose();
    }

    private void BindHostConditioning()
    {
        // Host inputs are copied to the device when bound, so the conditioning crosses once per generation.
        _unetBinding.BindInput("encoder_hidden_states", _set.EncoderHiddenStates.Value);
        _unetBinding.BindInput("text_embeds", _set.TextEmbeds.Value);
        _unetBinding.BindInput("time_ids", _set.TimeIds.Value);
    }

    private void Bind(OrtIoBinding binding, string[] names, ReadOnlySpan<float> values)
    {
        for (var i = 0; i < names.Length; i++)
        {
            _scalars[i].As<float>()[0] = values[i];
            binding.BindInput(names[i], _scalars[i].Value);
        }
    }

    private T Own<T>(T disposable) where T : IDisposable
    {
        _owned.Add(disposable);
        return disposable;
    }
}
