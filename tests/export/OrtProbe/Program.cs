using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

// Usage: OrtProbe JOBS.json. Each job names a model, its inputs (raw little-endian files with dtype and shape) and an
// output folder; every output is written there as raw float32 plus outputs.json with the shapes. The Python tests
// write the inputs and compare the outputs with PyTorch.
if (args.Length != 1)
{
    await Console.Error.WriteLineAsync("usage: OrtProbe JOBS.json").ConfigureAwait(false);
    return 2;
}

var jobsPath = Path.GetFullPath(args[0]);
var baseDir = Path.GetDirectoryName(jobsPath)!;
using var jobs = JsonDocument.Parse(await File.ReadAllTextAsync(jobsPath).ConfigureAwait(false));
foreach (var job in jobs.RootElement.EnumerateArray())
{
    var outDir = Path.Combine(baseDir, job.GetProperty("out").GetString()!);
    Directory.CreateDirectory(outDir);
    using var options = new SessionOptions();
    using var session = new InferenceSession(job.GetProperty("model").GetString()!, options);
    var names = new List<string>();
    var values = new List<OrtValue>();
    try
    {
        foreach (var input in job.GetProperty("inputs").EnumerateArray())
        {
            var shape = input.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            var bytes = await File.ReadAllBytesAsync(Path.Combine(baseDir, input.GetProperty("file").GetString()!)).ConfigureAwait(false);
            names.Add(input.GetProperty("name").GetString()!);
            values.Add(input.GetProperty("dtype").GetString() switch
            {
                "float32" => OrtValue.CreateTensorValueFromMemory(MemoryMarshal.Cast<byte, float>(bytes).ToArray(), shape),
                "int64" => OrtValue.CreateTensorValueFromMemory(MemoryMarshal.Cast<byte, long>(bytes).ToArray(), shape),
                var other => throw new InvalidOperationException($"unsupported input dtype {other}"),
            });
        }

        var outputNames = session.OutputNames;
        using var runOptions = new RunOptions();
        using var results = session.Run(runOptions, names, values, outputNames);
        var shapes = new Dictionary<string, long[]>();
        for (var i = 0; i < outputNames.Count; i++)
        {
            var info = results[i].GetTensorTypeAndShape();
            if (info.ElementDataType != TensorElementType.Float)
            {
                throw new InvalidOperationException($"output {outputNames[i]} is {info.ElementDataType}, expected float32");
            }

            var data = MemoryMarshal.AsBytes(results[i].GetTensorDataAsSpan<float>()).ToArray();
            await File.WriteAllBytesAsync(Path.Combine(outDir, outputNames[i] + ".bin"), data).ConfigureAwait(false);
            shapes[outputNames[i]] = info.Shape;
        }

        await File.WriteAllTextAsync(Path.Combine(outDir, "outputs.json"), JsonSerializer.Serialize(shapes)).ConfigureAwait(false);
    }
    finally
    {
        foreach (var value in values)
        {
            value.Dispose();
        }
    }
}

return 0;
