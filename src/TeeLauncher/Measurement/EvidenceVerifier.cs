using System.Security.Cryptography;
using TeeLauncher.Selection;
using TeeLauncher.Values;

namespace TeeLauncher.Measurement;

/// <summary>The register an auditor compares the replay with.</summary>
public enum RegisterKind { Rtmr3, PcrSha256, PcrSha384 }

/// <summary>What to check: the register value expected (from the command line or the evidence), its start, and the extras.</summary>
public sealed record VerifyRequest(
    string EventName,
    RegisterKind Register,
    byte[]? Expected,
    string? ExpectedSource,
    byte[]? Base,
    int? PcrIndex,
    ApprovedHashes? Approved,
    byte[]? ComposeFile);

public sealed record VerifiedEvent(int Index, string Name, string Digest, bool Recomputed, int Version);

public sealed record VerifyReport(
    string Format,
    string Register,
    int RegisterIndex,
    IReadOnlyList<VerifiedEvent> Events,
    string Replay,
    string? Expected,
    string? ExpectedSource,
    string? ImageDigest,
    int? ApprovedPosition,
    bool? ComposeMatches,
    IReadOnlyList<string> Failures,
    string NotChecked)
{
    public bool Verified => Failures.Count == 0;
}

/// <summary>
/// Replays an event log (docs/spec.md §5.4): every runtime event digest recomputed from name and payload, the register
/// rebuilt from zero or a base, exactly one image event, and the optional approved list and compose file.
/// </summary>
public static class EvidenceVerifier
{
    public const string NotChecked =
        "not checked: the quote's signature, the TCB status, MRTD and RTMR0-2 (check them with a quote verifier such as dstack-verifier)";

    public static VerifyReport Verify(Evidence evidence, VerifyRequest request)
    {
        var failures = new List<string>();
        var index = RegisterIndex(evidence, request, failures);
        var entries = evidence.Entries.Where(e => e.Imr == index).ToList();
        var bank = request.Register == RegisterKind.PcrSha256 ? HashBank.Sha256 : HashBank.Sha384;
        var register = request.Base ?? MeasurementRegister.Zero(bank);
        if (register.Length != MeasurementRegister.Size(bank))
            failures.Add($"--base is {register.Length} bytes but the register is {MeasurementRegister.Size(bank)} bytes");

        var events = new List<VerifiedEvent>();
        foreach (var entry in entries)
        {
            var digest = EventDigest(entry, request.EventName, failures);
            var measurement = request.Register switch
            {
                RegisterKind.Rtmr3 => digest,
                _ when entry.IsRuntimeEvent => MeasurementRegister.Measurement(entry.ToRuntimeEvent(), bank),
                _ => null,
            };
            if (measurement is null)
            {
                failures.Add($"event {entry.Index} '{entry.Event}' has type {entry.EventType}, which a TPM log of the launcher never holds");
                continue;
            }
            register = MeasurementRegister.Extend(bank, register, measurement);
            events.Add(new VerifiedEvent(entry.Index, entry.Event, Convert.ToHexStringLower(digest), entry.IsRuntimeEvent, entry.Version));
        }

        var replay = Convert.ToHexStringLower(register);
        var expected = request.Expected is null ? null : Convert.ToHexStringLower(request.Expected);
        var registerName = RegisterName(request.Register, index);
        if (expected is null)
            failures.Add($"no {registerName} value to compare with: pass --rtmr3 or --pcr, or give a tcb_info or GetQuote document");
        else if (expected != replay)
            failures.Add($"{registerName} differs: expected {expected} ({request.ExpectedSource}), the replay of {entries.Count} events gives {replay}");

        var runtimeEvents = entries.Where(e => e.IsRuntimeEvent).ToList();
        var image = ImageEvent(runtimeEvents, request.EventName, failures);
        var position = image is null || request.Approved is null ? null : request.Approved.PositionOf(image);
        if (image is not null && request.Approved is not null && position is null)
            failures.Add($"image digest {image} is not listed in {request.Approved.Path}");

        bool? composeMatches = null;
        if (request.ComposeFile is not null)
            composeMatches = ComposeMatches(runtimeEvents, request.ComposeFile, failures);

        return new VerifyReport(evidence.Format, registerName, index, events, replay, expected, request.ExpectedSource,
            image?.ToString(), position, composeMatches, failures, NotChecked);
    }

    private static int RegisterIndex(Evidence evidence, VerifyRequest request, List<string> failures)
    {
        if (request.Register == RegisterKind.Rtmr3)
            return 3;
        if (request.PcrIndex is { } pcr)
            return pcr;
        var named = evidence.Entries.Select(e => e.Imr).Distinct().ToList();
        if (named.Count == 1)
            return named[0];
        failures.Add($"the log names PCRs {string.Join(", ", named)}: choose one with --pcr-index");
        return -1;
    }

    private static string RegisterName(RegisterKind kind, int index) => kind switch
    {
        RegisterKind.PcrSha256 => $"PCR {index} (sha256 bank)",
        RegisterKind.PcrSha384 => $"PCR {index} (sha384 bank)",
        _ => "RTMR3",
    };

    /// <summary>
    /// A runtime event's digest is recomputed in its version; an empty recorded digest is allowed, a different one is
    /// not, and neither is a preimage other than the event's. Any other type is replayed with its recorded digest, and
    /// one named like a launcher event is a forgery: the launcher's events are runtime events.
    /// </summary>
    private static byte[] EventDigest(EvidenceEntry entry, string imageEventName, List<string> failures)
    {
        if (entry.IsRuntimeEvent)
        {
            var runtimeEvent = entry.ToRuntimeEvent();
            var computed = runtimeEvent.Digest();
            var hex = Convert.ToHexStringLower(computed);
            if (entry.RecordedDigest.Length > 0 && entry.RecordedDigest != hex)
                failures.Add($"event {entry.Index} '{entry.Event}': recorded digest {entry.RecordedDigest}, computed from name and payload (version {entry.Version}) {hex}");
            if (entry.Preimage is { } preimage && !preimage.AsSpan().SequenceEqual(runtimeEvent.Preimage()))
                failures.Add($"event {entry.Index} '{entry.Event}': its preimage is not the version-{entry.Version} preimage of its name and payload");
            return computed;
        }
        if (entry.Event == imageEventName || entry.Event == EventNames.Compose)
            failures.Add($"event {entry.Index} '{entry.Event}' has type {entry.EventType}, not the runtime event type {RuntimeEvent.EventType}: " +
                "it is named like a launcher event but is not one");
        if (entry.RecordedDigest.Length == 96)
            return Convert.FromHexString(entry.RecordedDigest);
        failures.Add($"event {entry.Index} '{entry.Event}' (type {entry.EventType}) has no 48-byte digest to replay");
        return new byte[48];
    }

    private static ImageDigest? ImageEvent(List<EvidenceEntry> entries, string eventName, List<string> failures)
    {
        var images = entries.Where(e => e.Event == eventName).ToList();
        switch (images.Count)
        {
            case 0:
                var names = string.Join(", ", entries.Select(e => e.Event).Distinct().Select(n => $"'{n}'"));
                failures.Add($"no image event named '{eventName}' (events: {names}); pass --event-name if the launcher used another name");
                return null;
            case > 1:
                failures.Add($"{images.Count} image events named '{eventName}' (events {string.Join(", ", images.Select(e => e.Index))}): exactly one is allowed");
                return null;
        }
        var image = images[0];
        if (image.Payload.Length != 32)
        {
            failures.Add($"event {image.Index} '{eventName}': payload is {image.Payload.Length} bytes, an image digest is 32");
            return null;
        }
        return ImageDigest.FromBytes(image.Payload);
    }

    private static bool ComposeMatches(List<EvidenceEntry> entries, byte[] composeFile, List<string> failures)
    {
        var expected = SHA256.HashData(composeFile);
        var events = entries.Where(e => e.Event == EventNames.Compose).ToList();
        if (events.Count != 1)
        {
            failures.Add($"{events.Count} events named '{EventNames.Compose}': exactly one is needed to check --compose");
            return false;
        }
        if (events[0].Payload.AsSpan().SequenceEqual(expected))
            return true;
        failures.Add($"event {events[0].Index} '{EventNames.Compose}': payload {Convert.ToHexStringLower(events[0].Payload)}, " +
            $"but sha256 of the compose file is {Convert.ToHexStringLower(expected)}");
        return false;
    }
}
