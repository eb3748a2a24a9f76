using System.Diagnostics;
using TeeLauncher.Configuration;

// ConfigLoader.Read of one file (read, parse, schema checks) in a loop after a warm-up; prints one table row.
var path = args.Length > 0 ? args[0] : throw new ArgumentException("usage: ConfigBench <launcher.toml> [loads] [label]");
var loads = args.Length > 1 ? int.Parse(args[1]) : 2000;
var label = args.Length > 2 ? args[2] : "this tree";

for (var i = 0; i < 200; i++)
    Check(ConfigLoader.Read(path).Problems);

var times = new double[loads];
for (var i = 0; i < loads; i++)
{
    var start = Stopwatch.GetTimestamp();
    var (_, problems) = ConfigLoader.Read(path);
    times[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
    Check(problems);
}
Array.Sort(times);
var allocated = GC.GetAllocatedBytesForCurrentThread();
var before = allocated;
ConfigLoader.Read(path);
allocated = GC.GetAllocatedBytesForCurrentThread() - before;
Console.WriteLine($"| config parse per load, {label}, median of {loads} | {times[loads / 2]:F1} µs ({times[0]:F1}-{times[^1]:F1}) | allocated {allocated / 1024.0:F1} KiB per load | |");

static void Check(IReadOnlyList<TeeLauncher.Errors.InputProblem> problems)
{
    if (problems.Count > 0)
        throw new InvalidOperationException($"the config has problems: {problems[0]}");
}
