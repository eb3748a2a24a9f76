using TeeLauncher.Values;

namespace TeeLauncher.Tests.Support;

public static class Digests
{
    public static ImageDigest Of(char hex) => ImageDigest.Parse("sha256:" + new string(hex, 64));

    public static readonly ImageDigest A = Of('a');
    public static readonly ImageDigest B = Of('b');
    public static readonly ImageDigest C = Of('c');
    public static readonly ImageDigest D = Of('d');
}
