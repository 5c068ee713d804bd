using BenchmarkDotNet.Running;

// Pick benchmarks with --filter, e.g. `dotnet run -c Release -- --filter '*Scheduler*'`.
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
