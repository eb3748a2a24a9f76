using System.Security.Cryptography;
using TeeLauncher.Selection;
using TeeLauncher.Values;
using TeeLauncher.Events;

namespace TeeLauncher.Verification;

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

public sealed record VerifiedEvent(int Index, string Name, string Digest, bool Recomputed, EventVersion Version);

/// <summary>
/// The outcome. <see cref="Events"/> replays the evidence as it is enumerated (written out), so that the report holds no
/// list of them; the replay's results (the register, the failures) are kept from the first complete enumeration, or found
/// by one when they are read first, so a report written out in its order replays the evidence once.
/// </summary>
public sealed class VerifyReport(string format, string register, int registerIndex, int eventCount, string? expectedSource,
    Func<IEnumerable<VerifiedEvent>> replay, Func<VerifyOutcome?> outcome)
{
    public string Format => format;

    public string Register => register;

    public int RegisterIndex => registerIndex;

    public int EventCount => eventCount;

    public IEnumerable<VerifiedEvent> Events => replay();

    public string Replay => Outcome.Replay;

    public string? Expected => Outcome.Expected;

    public string? ExpectedSource => expectedSource;

    public string? ImageDigest => Outcome.ImageDigest;

    public int? ApprovedPosition => Outcome.ApprovedPosition;

    public bool? ComposeMatches => Outcome.ComposeMatches;

    public IReadOnlyList<string> Failures => Outcome.Failures;

    public string NotChecked => EvidenceVerifier.NotChecked;

    public bool Verified => Failures.Count == 0;

    private VerifyOutcome Outcome
    {
        get
        {
            if (outcome() is { } known)
                return known;
            foreach (var _ in replay())
            {
            }
            return outcome()!;
        }
    }
}

/// <summary>What a complete replay found.</summary>
public sealed record VerifyOutcome(string Replay, string? Expected, string? ImageDigest, int? ApprovedPosition, bool? ComposeMatches, IReadOnlyList<string> Failures);

/// <summary>
/// Replays an event log (docs/spec.md §5.4): every runtime event digest recomputed from name and payload, the register
/// rebuilt from zero or a base, exactly one image event, and the optional approved list and compose file.
/// </summary>
public static class EvidenceVerifier
{
    public const string NotChecked =
        "not checked: the quote's signature, the TCB status, MRTD and RTMR0-2 (check them with a quote verifier such as dstack-verifier)";

    /// <summary>Failures kept for the report; past these, only their number (a log of a million bad events is not a million lines).</summary>
    public const int MaxFailures = 100;

    public static VerifyReport Verify(Evidence evidence, VerifyRequest request)
    {
        var before = new List<string>();
        var index = RegisterIndex(evidence, request, before);
        var bank = request.Register == RegisterKind.PcrSha256 ? HashBank.Sha256 : HashBank.Sha384;
        var start = request.Base ?? MeasurementRegister.Zero(bank);
        if (start.Length != MeasurementRegister.Size(bank))
            before.Add($"--base is {start.Length} bytes but the register is {MeasurementRegister.Size(bank)} bytes");
        var (count, runtimeEvents) = evidence.CountOf(index);
        var replayed = request.Register == RegisterKind.Rtmr3 ? count : runtimeEvents;
        var registerName = RegisterName(request.Register, index);

        VerifyOutcome? outcome = null;
        IEnumerable<VerifiedEvent> Replayed()
        {
            var failures = new Failures(before);
            var register = start;
            var images = new NamedEvents(request.EventName);
            var composes = new NamedEvents(EventNames.Compose);
            var names = new List<string>();
            foreach (var (entry, digest, measurement) in Replay(evidence, index, request, failures))
            {
                if (measurement is null)
                    continue;
                register = MeasurementRegister.Extend(bank, register, measurement);
                yield return new VerifiedEvent(entry.Index, entry.Event, Hex.Lower(digest), entry.IsRuntimeEvent, entry.Version);
                if (!entry.IsRuntimeEvent)
                    continue;
                images.See(entry);
                composes.See(entry);
                if (names.Count <= NamedEvents.MaxListed && !names.Contains(entry.Event))
                    names.Add(entry.Event);
            }
            outcome ??= Outcome(request, registerName, count, register, images, composes, names, failures);
        }
        return new VerifyReport(evidence.Format, registerName, index, replayed, request.ExpectedSource, Replayed, () => outcome);
    }

    private static VerifyOutcome Outcome(VerifyRequest request, string registerName, int count, byte[] register,
        NamedEvents images, NamedEvents composes, List<string> names, Failures failures)
    {
        var replay = Convert.ToHexStringLower(register);
        var expected = request.Expected is null ? null : Convert.ToHexStringLower(request.Expected);
        if (expected is null)
            failures.Add($"no {registerName} value to compare with: pass --rtmr3 or --pcr, or give a tcb_info or GetQuote document");
        else if (expected != replay)
            failures.Add($"{registerName} differs: expected {expected} ({request.ExpectedSource}), the replay of {count} events gives {replay}");

        var image = ImageEvent(images, names, request.EventName, failures);
        var position = image is null || request.Approved is null ? null : request.Approved.PositionOf(image);
        if (image is not null && request.Approved is not null && position is null)
            failures.Add($"image digest {image} is not listed in {request.Approved.Path}");

        bool? composeMatches = null;
        if (request.ComposeFile is not null)
            composeMatches = ComposeMatches(composes, request.ComposeFile, failures);
        return new VerifyOutcome(replay, expected, image?.ToString(), position, composeMatches, failures.Kept());
    }

    /// <summary>Each entry of the register with its event digest and what extends the register (null: not replayable).</summary>
    private static IEnumerable<(EvidenceEntry Entry, byte[] Digest, byte[]? Measurement)> Replay(Evidence evidence, int index, VerifyRequest request, Failures failures)
    {
        var batch = new List<EvidenceEntry>(Batch);
        foreach (var entry in evidence.Entries)
        {
            if (entry.Imr != index)
                continue;
            batch.Add(entry);
            if (batch.Count < Batch)
                continue;
            foreach (var replayed in Replay(batch, request, failures))
                yield return replayed;
            batch.Clear();
        }
        foreach (var replayed in Replay(batch, request, failures))
            yield return replayed;
    }

    /// <summary>Entries read ahead of the replay, whose runtime event digests are computed on every core at once.</summary>
    private const int Batch = 4096;

    private static IEnumerable<(EvidenceEntry Entry, byte[] Digest, byte[]? Measurement)> Replay(List<EvidenceEntry> batch, VerifyRequest request, Failures failures)
    {
        var bank = request.Register == RegisterKind.PcrSha256 ? HashBank.Sha256 : HashBank.Sha384;
        var pcr = request.Register != RegisterKind.Rtmr3;
        // An event's digests depend on the event alone, not on the register or the events before it: they are computed in
        // parallel (most of verify's time is hashing), and everything that depends on order stays in order below.
        var computed = new (byte[] Digest, byte[]? Measurement)[batch.Count];
        Parallel.For(0, batch.Count, i =>
        {
            if (batch[i].IsRuntimeEvent && batch[i].ToRuntimeEvent() is var runtimeEvent)
                computed[i] = (runtimeEvent.Digest(), pcr ? MeasurementRegister.Measurement(runtimeEvent, bank) : null);
        });
        for (var i = 0; i < batch.Count; i++)
        {
            var entry = batch[i];
            var digest = EventDigest(entry, computed[i].Digest, request.EventName, failures);
            var measurement = pcr ? computed[i].Measurement : digest;
            if (measurement is null)
                failures.Add($"event {entry.Index} '{entry.Event}' has type {entry.EventType}, which a TPM log of the launcher never holds");
            yield return (entry, digest, measurement);
        }
    }

    /// <summary>The failures found, the first <see cref="MaxFailures"/> kept, after those found before the replay.</summary>
    private sealed class Failures(IReadOnlyList<string> before)
    {
        private readonly List<string> _kept = [.. before];
        private int _count = before.Count;

        public void Add(string failure)
        {
            if (++_count <= MaxFailures)
                _kept.Add(failure);
        }

        public IReadOnlyList<string> Kept() =>
            _count <= MaxFailures ? _kept : [.. _kept, $"and {_count - MaxFailures} more failures"];
    }

    /// <summary>The runtime events of one name: how many, the first, and the indexes of the first few.</summary>
    private sealed class NamedEvents(string name)
    {
        public const int MaxListed = 16;

        public string Name => name;

        public int Count { get; private set; }

        public EvidenceEntry? First { get; private set; }

        public List<int> Indexes { get; } = [];

        public void See(EvidenceEntry entry)
        {
            if (entry.Event != name)
                return;
            First ??= entry;
            if (++Count <= MaxListed)
                Indexes.Add(entry.Index);
        }

        public string ListedIndexes => string.Join(", ", Indexes) + (Count > MaxListed ? ", ..." : "");
    }

    private static int RegisterIndex(Evidence evidence, VerifyRequest request, List<string> failures)
    {
        if (request.Register == RegisterKind.Rtmr3)
            return 3;
        if (request.PcrIndex is { } pcr)
            return pcr;
        if (evidence.Registers.Count == 1)
            return evidence.Registers[0];
        failures.Add($"the log names PCRs {string.Join(", ", evidence.Registers)}: choose one with --pcr-index");
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
    private static byte[] EventDigest(EvidenceEntry entry, byte[] computed, string imageEventName, Failures failures)
    {
        if (entry.IsRuntimeEvent)
        {
            if (entry.RecordedDigest.Length > 0 && !entry.RecordedDigest.AsSpan().SequenceEqual(computed))
                failures.Add($"event {entry.Index} '{entry.Event}': recorded digest {Convert.ToHexStringLower(entry.RecordedDigest)}, " +
                    $"computed from name and payload (version {entry.Version}) {Convert.ToHexStringLower(computed)}");
            if (entry.Preimage is { } preimage && !preimage.AsSpan().SequenceEqual(entry.ToRuntimeEvent().Preimage()))
                failures.Add($"event {entry.Index} '{entry.Event}': its preimage is not the version-{entry.Version} preimage of its name and payload");
            return computed;
        }
        if (entry.Event == imageEventName || entry.Event == EventNames.Compose)
            failures.Add($"event {entry.Index} '{entry.Event}' has type {entry.EventType}, not the runtime event type {RuntimeEvent.EventType}: " +
                "it is named like a launcher event but is not one");
        if (entry.RecordedDigest.Length == 48)
            return entry.RecordedDigest;
        failures.Add($"event {entry.Index} '{entry.Event}' (type {entry.EventType}) has no 48-byte digest to replay");
        return new byte[48];
    }

    private static ImageDigest? ImageEvent(NamedEvents images, List<string> names, string eventName, Failures failures)
    {
        switch (images.Count)
        {
            case 0:
                var listed = string.Join(", ", names.Take(NamedEvents.MaxListed).Select(n => $"'{n}'")) + (names.Count > NamedEvents.MaxListed ? ", ..." : "");
                failures.Add($"no image event named '{eventName}' (events: {listed}); pass --event-name if the launcher used another name");
                return null;
            case > 1:
                failures.Add($"{images.Count} image events named '{eventName}' (events {images.ListedIndexes}): exactly one is allowed");
                return null;
        }
        var image = images.First!;
        if (image.Payload.Length != 32)
        {
            failures.Add($"event {image.Index} '{eventName}': payload is {image.Payload.Length} bytes, an image digest is 32");
            return null;
        }
        return ImageDigest.FromBytes(image.Payload);
    }

    private static bool ComposeMatches(NamedEvents composes, byte[] composeFile, Failures failures)
    {
        var expected = SHA256.HashData(composeFile);
        if (composes.Count != 1)
        {
            failures.Add($"{composes.Count} events named '{composes.Name}': exactly one is needed to check --compose");
            return false;
        }
        var compose = composes.First!;
        if (compose.Payload.AsSpan().SequenceEqual(expected))
            return true;
        failures.Add($"event {compose.Index} '{composes.Name}': payload {Convert.ToHexStringLower(compose.Payload)}, " +
            $"but sha256 of the compose file is {Convert.ToHexStringLower(expected)}");
        return false;
    }
}
