using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using TeeLauncher.Values;

namespace TeeLauncher.Events;

/// <summary>
/// A dstack runtime event in one of dstack's two digest versions (docs/spec.md §5.1): its digest is what extends the register.
/// Both follow dstack's <c>RuntimeEvent::preimage</c> (project Dstack-TEE/dstack, dstack/cc-eventlog/src/runtime_events.rs).
/// </summary>
public sealed record RuntimeEvent(string Name, byte[] Payload, EventVersion Version = default)
{
    public const uint EventType = 0x08000001;

    public static RuntimeEvent ForImage(string eventName, ImageDigest digest, EventVersion version = default) => new(eventName, digest.ToBytes(), version);

    public static RuntimeEvent ForCompose(ReadOnlySpan<byte> renderedCompose, EventVersion version = default) =>
        new(EventNames.Compose, SHA256.HashData(renderedCompose), version);

    public RuntimeEvent InVersion(EventVersion version) => version == Version ? this : this with { Version = version };

    /// <summary>
    /// The bytes hashed into the event digest. Version 1: <c>u32_le(type) ":" name ":" payload</c>; version 2: the
    /// RFC 8785 (JCS) form of <c>{"name","payload" (lowercase hex),"type"}</c>, keys in that sorted order.
    /// </summary>
    public byte[] Preimage() => Version == EventVersion.V1
        ? PreimageV1()
        : Encoding.UTF8.GetBytes(
            $"{{\"name\":{JsonString(Name)},\"payload\":\"{Convert.ToHexStringLower(Payload)}\",\"type\":{EventType.ToString(CultureInfo.InvariantCulture)}}}");

    /// <summary>SHA-384 of the preimage: the 48 bytes an RTMR is extended with.</summary>
    public byte[] Digest() => MeasurementRegister.Measurement(this, HashBank.Sha384);

    private byte[] PreimageV1()
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

    /// <summary>
    /// A JSON string as RFC 8785 section 3.2.2.2 (and dstack's serde_json) writes it: only '"', '\' and the C0 controls
    /// are escaped, the five with short forms (\b \f \n \r \t) as such and the others as lowercase <c>\u00xx</c>; all else verbatim.
    /// </summary>
    public static string JsonString(string value)
    {
        var text = new StringBuilder(value.Length + 2).Append('"');
        foreach (var c in value)
        {
            _ = c switch
            {
                '"' => text.Append("\\\""),
                '\\' => text.Append("\\\\"),
                '\b' => text.Append("\\b"),
                '\f' => text.Append("\\f"),
                '\n' => text.Append("\\n"),
                '\r' => text.Append("\\r"),
                '\t' => text.Append("\\t"),
                < ' ' => text.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}"),
                _ => text.Append(c),
            };
        }
        return text.Append('"').ToString();
    }

    public bool Equals(RuntimeEvent? other) =>
        other is not null && Name == other.Name && Version == other.Version && Payload.AsSpan().SequenceEqual(other.Payload);

    public override int GetHashCode() => HashCode.Combine(Name, Payload.Length, Version);
}
