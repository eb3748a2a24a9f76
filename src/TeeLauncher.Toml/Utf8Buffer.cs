using System.Text;

namespace TeeLauncher.Toml;

/// <summary>A reusable byte buffer in which escaped strings are assembled as UTF-8 before one decode.</summary>
internal sealed class Utf8Buffer
{
    private byte[] _bytes = new byte[256];
    private int _length;

    public void Clear() => _length = 0;

    public void Append(ReadOnlySpan<byte> bytes)
    {
        Reserve(bytes.Length);
        bytes.CopyTo(_bytes.AsSpan(_length));
        _length += bytes.Length;
    }

    public void Append(byte b)
    {
        Reserve(1);
        _bytes[_length++] = b;
    }

    public void Append(Rune rune)
    {
        Reserve(4);
        _length += rune.EncodeToUtf8(_bytes.AsSpan(_length));
    }

    public override string ToString() => Encoding.UTF8.GetString(_bytes, 0, _length);

    private void Reserve(int more)
    {
        if (_length + more > _bytes.Length)
            Array.Resize(ref _bytes, Math.Max(_bytes.Length * 2, _length + more));
    }
}
