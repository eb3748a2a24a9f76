using TeeLauncher.Errors;

namespace TeeLauncher.Cli;

/// <summary>A file named on the command line, read whole; a missing one is bad input (exit 3).</summary>
public static class InputFile
{
    public static byte[] Read(string path, string what)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException(InputProblem.InFile(path, $"cannot read the {what}: {e.Message}"));
        }
    }
}
