using System.Diagnostics;
using System.Globalization;
using System.Text;
using TeeLauncher.Toml;

// Generates a ~5 MB TOML document, parses it repeatedly, and times Python's tomllib on the same file.
var runs = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 15;
var file = Path.Combine(Path.GetTempPath(), "tee-launcher-toml-bench.toml");
File.WriteAllText(file, Generate(5 * 1024 * 1024));
var bytes = File.ReadAllBytes(file);

for (var i = 0; i < 3; i++)
    TomlParser.Parse(bytes);

var times = new List<double>();
var allocations = new List<long>();
for (var i = 0; i < runs; i++)
{
    GC.Collect();
    var before = GC.GetAllocatedBytesForCurrentThread();
    var clock = Stopwatch.StartNew();
    TomlParser.Parse(bytes);
    times.Add(clock.Elapsed.TotalMilliseconds);
    allocations.Add(GC.GetAllocatedBytesForCurrentThread() - before);
}

var python = Process.Start(new ProcessStartInfo("python3",
    ["-c", "import sys,time,tomllib,statistics\n" +
           "data=open(sys.argv[1],'rb').read()\n" +
           "tomllib.loads(data.decode())\n" +
           "t=[]\n" +
           "for _ in range(int(sys.argv[2])):\n" +
           "    s=time.perf_counter(); tomllib.loads(data.decode()); t.append((time.perf_counter()-s)*1000)\n" +
           "print(statistics.median(t), min(t), max(t))", file, "5"])
{ RedirectStandardOutput = true })!;
var pythonOut = python.StandardOutput.ReadToEnd().Split(' ').Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToArray();
python.WaitForExit();

var median = Median(times);
var allocated = Median(allocations.Select(a => (double)a).ToList());
Console.WriteLine($"| input | {bytes.Length / 1048576.0:F2} MiB |");
Console.WriteLine("|---|---|");
Console.WriteLine($"| TeeLauncher.Toml, median of {runs} | {median:F1} ms ({times.Min():F1}-{times.Max():F1}) |");
Console.WriteLine($"| Python {Environment.GetEnvironmentVariable("PYTHON_VERSION") ?? "3"} tomllib, median of 5 | {pythonOut[0]:F1} ms ({pythonOut[1]:F1}-{pythonOut[2]:F1}) |");
Console.WriteLine($"| speed-up | {pythonOut[0] / median:F1}x |");
Console.WriteLine($"| allocated per parse | {allocated / 1048576.0:F1} MiB ({allocated / bytes.Length:F2}x the input) |");
return 0;

static double Median(List<double> values)
{
    var sorted = values.Order().ToList();
    return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
}

static string Generate(int size)
{
    var text = new StringBuilder(size + 4096);
    text.AppendLine("# generated benchmark document").AppendLine("title = \"tee-launcher TOML benchmark\"");
    for (var i = 0; text.Length < size; i++)
    {
        text.AppendLine(CultureInfo.InvariantCulture, $"[service_{i}]");
        text.AppendLine(CultureInfo.InvariantCulture, $"name = \"service number {i} with \\\"quotes\\\" and \\u00e9 escapes\"");
        text.AppendLine(CultureInfo.InvariantCulture, $"path = 'C:\\literal\\{i}'");
        text.AppendLine(CultureInfo.InvariantCulture, $"port = {1000 + i % 50000}");
        text.AppendLine(CultureInfo.InvariantCulture, $"weight = {i * 0.25:F2}");
        text.AppendLine(CultureInfo.InvariantCulture, $"enabled = {(i % 2 == 0 ? "true" : "false")}");
        text.AppendLine(CultureInfo.InvariantCulture, $"started = 2026-11-{1 + i % 28:D2}T08:{i % 60:D2}:00Z");
        text.AppendLine(CultureInfo.InvariantCulture, $"tags = [\"a{i}\", \"b{i}\", \"c{i}\", {i}, {i + 1}]");
        text.AppendLine(CultureInfo.InvariantCulture, $"limits = {{ cpu = {i % 8}, memory = \"{i % 64}Gi\", burst.max = {i} }}");
        text.AppendLine("description = \"\"\"");
        text.AppendLine(CultureInfo.InvariantCulture, $"A multi-line description of service {i},");
        text.AppendLine("spanning lines.\"\"\"");
        text.AppendLine(CultureInfo.InvariantCulture, $"[[service_{i}.replica]]").AppendLine(CultureInfo.InvariantCulture, $"id = 0x{i:x}").AppendLine("zone = \"a\"");
        text.AppendLine(CultureInfo.InvariantCulture, $"[[service_{i}.replica]]").AppendLine($"id = 0o{Convert.ToString(i % 512, 8)}").AppendLine("zone = \"b\"");
    }
    return text.ToString();
}
