using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace TeeLauncher.IntegrationTests.Support;

/// <summary>
/// The test's own replay of a launcher event log (docs/spec.md §5.1 and 5.2), written from the spec rather than
/// from the launcher's code so that the two can disagree.
/// </summary>
public static class EventLogReplay
{
    public static byte[] Preimage(string name, string payloadHex)
    {
        var header = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(header, 0x08000001);
        return [.. header, (byte)':', .. Encoding.UTF8.GetBytes(name), (byte)':', .. Convert.FromHexString(payloadHex)];
    }

    /// <summary>Extends a register of the hash's size, from <paramref name="start"/>, with the hash of each entry's preimage.</summary>
    public static byte[] Replay(string eventLogFile, HashAlgorithmName bank, byte[] start)
    {
        var register = start;
        foreach (var line in File.ReadLines(eventLogFile).Where(l => l.Length > 0))
        {
            using var entry = JsonDocument.Parse(line);
            var preimage = Preimage(entry.RootElement.GetProperty("event").GetString()!, entry.RootElement.GetProperty("event_payload").GetString()!);
            var measurement = bank == HashAlgorithmName.SHA256 ? SHA256.HashData(preimage) : SHA384.HashData(preimage);
            register = bank == HashAlgorithmName.SHA256 ? SHA256.HashData([.. register, .. measurement]) : SHA384.HashData([.. register, .. measurement]);
        }
        return register;
    }

    /// <summary>RTMR3 after extending 48 zero bytes with each event as a TDX module would.</summary>
    public static byte[] Rtmr3(IEnumerable<(string Name, string PayloadHex)> events)
    {
        var register = new byte[48];
        foreach (var (name, payload) in events)
            register = SHA384.HashData([.. register, .. SHA384.HashData(Preimage(name, payload))]);
        return register;
    }
}
