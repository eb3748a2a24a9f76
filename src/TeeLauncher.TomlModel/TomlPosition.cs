namespace TeeLauncher.TomlModel;

/// <summary>A place in the source: 1-based line and column, the column counted in characters (Unicode scalars).</summary>
public readonly record struct TomlPosition(int Line, int Column)
{
    public override string ToString() => $"{Line}:{Column}";
}
