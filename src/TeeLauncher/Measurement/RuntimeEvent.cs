using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using TeeLauncher.Selection;

namespace TeeLauncher.Measurement;

/// <summary>A dstack version-1 runtime event: its digest is what extends the register (SPEC 5.1).</summary>
public sealed record RuntimeEvent(string Name, byte[] Payload)
{
    public const uint EventType = 0x08000001;
    public const string ComposeEventName = "launcher-compose-hash";

    /// <summary>The image event's name unless measurement.event_name says otherwise.</summary>
    public const string DefaultImageEventName = "image-digest";

    public static RuntimeEvent ForImage(string eventName, ImageDigest digest) => new(eventName, digest.ToBytes());

    public static RuntimeEvent ForCompose(ReadOnlySpan<byte> renderedCompose) =>
        new(ComposeEventName, SHA256.HashData(renderedCompose));

    /// <summary>The bytes hashed into the event digest: u32_le(type) ":" name ":" payload.</summary>
    public byte[] Preimage()
    {
        var name = Encoding.UTF8.GetBytes(Name);
        var preimage = new byte[4 + 1 + name.Length + 1 + Payload.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(preimage, EventType);
        preimage[4] = (byte)':';
        name.CopyTo(preimage, 5);
        preimage[5 + name.Length] = (byte)':';
        Payload.CopyTo(preimage, 6 + name.Length);
        return preimage;
    }

    /// <summary>SHA-384 of the preimage: the 48 bytes an RTMR is extended with.</summary>
    public byte[] Digest() => SHA384.HashData(Preimage());

    public bool Equals(RuntimeEvent? other) =>
        other is not null && Name == other.Name && Payload.AsSpan().SequenceEqual(other.Payload);

    public override int GetHashCode() => HashCode.Combine(Name, Payload.Length);
}
