using System.Globalization;
using Microsoft.Win32.SafeHandles;
using TeeLauncher.Errors;
using TeeLauncher.Events;

namespace TeeLauncher.Measurement;

/// <summary>
/// The kernel's RTMR sysfs attribute (Linux 6.16+, <c>.../tdx_guest/measurements/rtmr3:sha384</c>): a read returns
/// the 48-byte register, one 48-byte write at offset 0 extends it. Every extend is checked by reading the register
/// before and after: only <c>SHA384(before || digest)</c> proves the write was an extend, so a plain file, a short
/// write or a register someone else moved in between is a measurement failure.
/// </summary>
public sealed class RtmrAttribute(string path)
{
    private const int RegisterSize = 48;

    public string Path { get; } = path;

    /// <summary>Before the pull: it opens for reading and writing and reads as a 48-byte register (reading extends nothing).</summary>
    public void EnsureUsable()
    {
        using var handle = Open();
        Read(handle);
    }

    public byte[] ReadRegister()
    {
        using var handle = Open();
        return Read(handle);
    }

    /// <summary>Extends the register with <paramref name="digest"/> and returns its new value, or fails.</summary>
    public byte[] Extend(ReadOnlySpan<byte> digest, string eventName)
    {
        using var handle = Open();
        var before = Read(handle);
        try
        {
            // A short write continues at a later offset, which the kernel refuses: the write fails or the check below does.
            RandomAccess.Write(handle, digest, 0);
        }
        catch (IOException e)
        {
            throw new MeasurementException($"writing event '{eventName}' to {Path} failed: {e.Message}", e);
        }
        var after = Read(handle);
        var expected = MeasurementRegister.Extend(HashBank.Sha384, before, digest);
        if (!after.AsSpan().SequenceEqual(expected))
            throw new MeasurementException(
                $"writing event '{eventName}' to {Path} did not extend RTMR3: it read {Convert.ToHexStringLower(before)} before and " +
                $"{Convert.ToHexStringLower(after)} after, not SHA384(before || digest) = {Convert.ToHexStringLower(expected)}: " +
                "it is not the kernel's RTMR attribute, or another process extended RTMR3 at the same moment");
        return after;
    }

    /// <summary>Read and write: a FIFO opened so does not wait for a peer, and is then refused as unseekable.</summary>
    private SafeFileHandle Open()
    {
        if (Directory.Exists(Path))
            throw new MeasurementException($"RTMR file {Path} is a directory, not the RTMR attribute (measurement.tdx_rtmr_path)");
        if (!File.Exists(Path))
            throw new MeasurementException(
                $"RTMR file {Path} does not exist: this is not a TDX guest with kernel 6.16 or later, or its measurements directory is not mounted (measurement.tdx_rtmr_path)");
        try
        {
            return File.OpenHandle(Path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new MeasurementException($"RTMR file {Path} is not writable (it must open for reading and writing): {e.Message} (measurement.tdx_rtmr_path)", e);
        }
    }

    private byte[] Read(SafeFileHandle handle)
    {
        var buffer = new byte[RegisterSize + 1];
        int read;
        try
        {
            read = RandomAccess.Read(handle, buffer, 0);
        }
        catch (Exception e) when (e is IOException or NotSupportedException or UnauthorizedAccessException)
        {
            throw new MeasurementException($"reading RTMR3 from {Path} failed: {e.Message}; it is not the kernel's RTMR attribute (measurement.tdx_rtmr_path)", e);
        }
        if (read != RegisterSize)
            throw new MeasurementException(
                $"reading RTMR3 from {Path} gave {(read > RegisterSize ? "more than 48" : read.ToString(CultureInfo.InvariantCulture))} bytes, " +
                "not the 48-byte register: it is not the kernel's RTMR attribute (measurement.tdx_rtmr_path)");
        return buffer[..RegisterSize];
    }
}
