using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using NitroLive.Bench;
using SkiaSharp;

// `dotnet run -c Release --project bench/NitroLive.Bench -- --filter '*' [--job short]`
// `dotnet run -c Release --project bench/NitroLive.Bench -- sizes`: the encoded size of every frame setting.
if (args.FirstOrDefault() == "sizes")
{
    using var output = new MemoryStream();
    Console.WriteLine("| Size | Encoder | Bytes | Bits per pixel |");
    Console.WriteLine("|---:|---|---:|---:|");
    foreach (var size in new[] { 256, 512, 1024 })
    {
        var rgb = BenchData.SyntheticFrame(size, size);
        foreach (var name in FrameEncoders.Names)
        {
            var bytes = FrameEncoders.Encode(FrameEncoders.Create(name), name.EndsWith("-wrap", StringComparison.Ordinal), rgb, size, output);
            Console.WriteLine($"| {size} | {name} | {bytes} | {bytes * 8.0 / (size * size):F2} |");
        }

        foreach (var (format, quality) in new[] { (SKEncodedImageFormat.Jpeg, 75), (SKEncodedImageFormat.Jpeg, 85), (SKEncodedImageFormat.Webp, 75) })
        {
            var bytes = SkiaEncodeBenchmarks.EncodedBytes(rgb, size, format, quality);
            Console.WriteLine($"| {size} | Skia-{format}-q{quality} | {bytes} | {bytes * 8.0 / (size * size):F2} |");
        }
    }

    return 0;
}

// Without a --job the short job runs: the development machine is a shared 2-core VM where the default job's
// dozens of iterations per case would take hours and measure the neighbours as much as the code.
var config = args.Contains("--job") ? DefaultConfig.Instance : DefaultConfig.Instance.AddJob(Job.ShortRun);
BenchmarkSwitcher.FromAssembly(typeof(BenchData).Assembly).Run(args, config);
return 0;
