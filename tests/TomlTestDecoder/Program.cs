using System.Text.Json;
using TomlTestDecoder;
using TeeLauncher.TomlModel;

using var input = Console.OpenStandardInput();
using var buffer = new MemoryStream();
input.CopyTo(buffer);
try
{
    var document = TomlDocument.Parse(buffer.ToArray(), "<stdin>");
    using var stdout = Console.OpenStandardOutput();
    using var writer = new Utf8JsonWriter(stdout, new JsonWriterOptions { Indented = true });
    TaggedJson.Write(writer, document);
    writer.Flush();
    stdout.WriteByte((byte)'\n');
    return 0;
}
catch (TomlReadException e)
{
    Console.Error.WriteLine(e.Message);
    return 1;
}
