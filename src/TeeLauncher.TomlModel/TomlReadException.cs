namespace TeeLauncher.TomlModel;

/// <summary>
/// The one exception <see cref="TomlDocument.Parse"/> throws: every independent error of the document, at
/// least one; the message is the first, on one line.
/// </summary>
public sealed class TomlReadException(string sourceName, IReadOnlyList<TomlError> errors)
    : Exception($"{sourceName}:{errors[0].At}: {errors[0].Reason}")
{
    public IReadOnlyList<TomlError> Errors { get; } = errors;
}
