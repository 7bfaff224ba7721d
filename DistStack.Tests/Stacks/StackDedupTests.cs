using DistStack.Actors.Stacks;

namespace DistStack.Tests.Stacks;

public sealed class StackDedupTests
{
    [Fact]
    public void A_retried_pop_returns_the_same_value_and_pops_once()
    {
        var s = StackState.Empty(new StackStateOptions());
        (s, _) = s.Apply(1, new CreateStack("c", "s"));
        (s, _) = s.Apply(2, new PushValue("p1", "s", "a"));
        (s, _) = s.Apply(3, new PushValue("p2", "s", "b"));

        (s, var first) = s.Apply(4, new PopValue("pop", "s"));
        var digest = s.Digest;
        (s, var retry) = s.Apply(5, new PopValue("pop", "s"));

        Assert.Equal(new StackResult(StackOutcome.Ok, "b"), first);
        Assert.Same(first, retry);
        Assert.Equal(["a"], s.ValuesTopDown("s"));
        Assert.Equal(digest, s.Digest);
        Assert.Equal(5, s.AppliedIndex);
    }

    [Fact]
    public void A_retried_push_pushes_once_and_answers_the_original_size()
    {
        var s = StackState.Empty(new StackStateOptions());
        (s, _) = s.Apply(1, new CreateStack("c", "s"));
        (s, var first) = s.Apply(2, new PushValue("p", "s", "a"));
        (s, _) = s.Apply(3, new PushValue("q", "s", "b"));
        (s, var retry) = s.Apply(4, new PushValue("p", "s", "a"));

        Assert.Equal(new StackResult(StackOutcome.Ok, Size: 1), retry);
        Assert.Equal(first, retry);
        Assert.Equal(["b", "a"], s.ValuesTopDown("s"));
    }

    [Fact]
    public void Failed_outcomes_are_remembered_too()
    {
        var s = StackState.Empty(new StackStateOptions());
        (s, var first) = s.Apply(1, new PushValue("p", "s", "a"));
        (s, _) = s.Apply(2, new CreateStack("c", "s"));
        (s, var retry) = s.Apply(3, new PushValue("p", "s", "a"));

        Assert.Equal(StackOutcome.NotFound, first.Outcome);
        Assert.Equal(StackOutcome.NotFound, retry.Outcome);
        Assert.Equal(0, s.Query(new SizeOfStack("s")).Size);
    }

    [Fact]
    public void A_key_reused_for_a_different_command_is_refused_and_changes_nothing()
    {
        // A client bug: the key names one request. Answering the first result would lie; applying would repeat it.
        var s = StackState.Empty(new StackStateOptions());
        (s, _) = s.Apply(1, new CreateStack("same", "s"));
        var digest = s.Digest;
        (s, var asPush) = s.Apply(2, new PushValue("same", "s", "x"));
        (s, var asCreateOfAnother) = s.Apply(3, new CreateStack("same", "t"));

        Assert.Equal(new StackResult(StackOutcome.KeyReused), asPush);
        Assert.Equal(new StackResult(StackOutcome.KeyReused), asCreateOfAnother);
        Assert.Equal(digest, s.Digest);
        Assert.Equal(0, s.Query(new SizeOfStack("s")).Size);
        Assert.Equal(StackOutcome.NotFound, s.Query(new StackExists("t")).Outcome);
        // The real retry still gets its first answer.
        (_, var retry) = s.Apply(4, new CreateStack("same", "s"));
        Assert.Equal(new StackResult(StackOutcome.Created), retry);
    }

    [Fact]
    public void A_push_retried_with_another_value_under_the_same_key_is_a_different_command()
    {
        var s = StackState.Empty(new StackStateOptions());
        (s, _) = s.Apply(1, new CreateStack("c", "s"));
        (s, _) = s.Apply(2, new PushValue("p", "s", "a"));
        (_, var other) = s.Apply(3, new PushValue("p", "s", "b"));

        Assert.Equal(StackOutcome.KeyReused, other.Outcome);
    }

    [Fact]
    public void A_key_is_remembered_through_the_window_and_forgotten_after_it()
    {
        const long window = 10;
        var s = StackState.Empty(new StackStateOptions(window));
        (s, _) = s.Apply(1, new CreateStack("c", "s"));
        (s, _) = s.Apply(2, new PushValue("p", "s", "a"));
        for (long i = 3; i <= 2 + window - 1; i++) s = s.Skip(i);

        // Applied index 2 + window: the key recorded at 2 is still remembered at exactly i + window.
        (s, var retry) = s.Apply(2 + window, new PushValue("p", "s", "a"));
        Assert.Equal(new StackResult(StackOutcome.Ok, Size: 1), retry);
        Assert.Equal(1, s.Query(new SizeOfStack("s")).Size);

        // Past the window it is forgotten: the same key now applies again (the documented limit of §6.3).
        (s, var late) = s.Apply(2 + window + 1, new PushValue("p", "s", "a"));
        Assert.Equal(new StackResult(StackOutcome.Ok, Size: 2), late);
    }

    [Fact]
    public void A_window_of_long_max_value_never_forgets()
    {
        var s = StackState.Empty(new StackStateOptions(long.MaxValue));
        (s, _) = s.Apply(1, new CreateStack("c", "s"));
        s = s.Skip(long.MaxValue - 1);
        Assert.Equal(1, s.RememberedRequestKeys);
        (s, var retry) = s.Apply(long.MaxValue, new CreateStack("c", "s"));
        Assert.Equal(StackOutcome.Created, retry.Outcome);
    }

    [Fact]
    public void A_negative_window_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => StackState.Empty(new StackStateOptions(-1)));
    }

    [Fact]
    public void Skips_expire_keys_as_well()
    {
        var s = StackState.Empty(new StackStateOptions(5));
        for (long i = 1; i <= 5; i++) (s, _) = s.Apply(i, new CreateStack($"k{i}", $"s{i}"));
        Assert.Equal(5, s.RememberedRequestKeys);
        s = s.Skip(100);
        Assert.Equal(0, s.RememberedRequestKeys);
    }

    [Fact]
    public void The_table_stays_bounded_by_the_window()
    {
        const long window = 100;
        var s = StackState.Empty(new StackStateOptions(window));
        (s, _) = s.Apply(1, new CreateStack("c", "s"));
        for (long i = 2; i <= 5_000; i++) (s, _) = s.Apply(i, new PushValue($"p{i}", "s", "v"));
        Assert.InRange(s.RememberedRequestKeys, 1, window + 1);
    }

    [Fact]
    public void The_table_survives_a_snapshot_round_trip()
    {
        var options = new StackStateOptions(50);
        var s = StackState.Empty(options);
        (s, _) = s.Apply(1, new CreateStack("c", "s"));
        (s, _) = s.Apply(2, new PushValue("p1", "s", "a"));
        (s, _) = s.Apply(3, new PushValue("p2", "s", "b"));
        (s, var popped) = s.Apply(4, new PopValue("pop", "s"));

        var restored = StackSnapshotCodec.Read(StackSnapshotCodec.Write(s), options);
        Assert.Equal(4, restored.RememberedRequestKeys);

        (restored, var retry) = restored.Apply(5, new PopValue("pop", "s"));
        Assert.Equal(popped, retry);
        Assert.Equal(["a"], restored.ValuesTopDown("s"));

        // Expiry continues from the restored indices: the key of index 2 goes once applied index > 52.
        restored = restored.Skip(52);
        (var stillRemembered, _) = restored.Apply(53, new PushValue("p2", "s", "b"));
        Assert.Equal(["a"], stillRemembered.ValuesTopDown("s"));
        (var forgotten, _) = restored.Apply(54, new PushValue("p1", "s", "a"));
        Assert.Equal(["a", "a"], forgotten.ValuesTopDown("s"));
    }

    private const long Minute = 60_000;
    private const long T0 = 1_796_000_000_000;

    private static PushValue ClientPush(string key, string value) => new(key, "s", value) { KeyFromClient = true };

    [Fact]
    public void A_client_key_retried_inside_the_time_window_never_applies_twice_however_many_entries_pass()
    {
        // The entry window alone (here 10 entries, in production 200,000: about 20 s at 10k writes/s) let a retry
        // that came back after a healed partition apply twice.
        var s = StackState.Empty(new StackStateOptions(DedupWindowEntries: 10, ClientKeyWindowMs: 10 * Minute));
        (s, _) = s.Apply(1, new CreateStack("c", "s"), T0);
        (s, var first) = s.Apply(2, ClientPush("client-retry", "a"), T0);
        long index = 2;
        for (var i = 0; i < 1_000; i++) (s, _) = s.Apply(++index, new PushValue($"other-{i}", "t", "x"), T0 + i * 500);

        // 1,000 entries and 8 min 20 s later, still the first answer and one "a".
        (s, var retry) = s.Apply(++index, ClientPush("client-retry", "a"), T0 + 10 * Minute);
        Assert.Equal(first, retry);
        Assert.Equal(["a"], s.ValuesTopDown("s"));

        // Once both windows have passed the key is forgotten (the documented limit).
        (s, var late) = s.Apply(++index, ClientPush("client-retry", "a"), T0 + 10 * Minute + 1);
        Assert.Equal(new StackResult(StackOutcome.Ok, Size: 2), late);
    }

    [Fact]
    public void A_client_key_is_also_kept_for_the_entry_window_when_time_runs_fast()
    {
        var s = StackState.Empty(new StackStateOptions(DedupWindowEntries: 10, ClientKeyWindowMs: Minute));
        (s, _) = s.Apply(1, new CreateStack("c", "s"), T0);
        (s, _) = s.Apply(2, ClientPush("k", "a"), T0);
        // A leader whose clock jumped an hour ahead ages every client key at once; the last entries still cover it.
        (s, var retry) = s.Apply(12, ClientPush("k", "a"), T0 + 60 * Minute);
        Assert.Equal(["a"], s.ValuesTopDown("s"));
        Assert.Equal(new StackResult(StackOutcome.Ok, Size: 1), retry);
    }

    [Fact]
    public void Generated_keys_keep_the_short_entry_window()
    {
        var s = StackState.Empty(new StackStateOptions(DedupWindowEntries: 10, ClientKeyWindowMs: 10 * Minute));
        (s, _) = s.Apply(1, new CreateStack("c", "s"), T0);
        (s, _) = s.Apply(2, new PushValue("generated", "s", "a"), T0);
        s = s.Skip(20);
        Assert.Equal(0, s.RememberedRequestKeys);
    }

    [Fact]
    public void The_log_clock_never_goes_back_when_a_new_leader_stamps_an_earlier_time()
    {
        var s = StackState.Empty(new StackStateOptions(DedupWindowEntries: 0, ClientKeyWindowMs: Minute));
        (s, _) = s.Apply(1, new CreateStack("c", "s"), T0 + 5 * Minute);
        (s, _) = s.Apply(2, ClientPush("k", "a"), T0);
        Assert.Equal(T0 + 5 * Minute, s.ClockMs);
        // Recorded at the log clock (T0 + 5 min), not at the late stamp, so it lives until T0 + 6 min.
        (s, var retry) = s.Apply(3, ClientPush("k", "a"), T0 + 6 * Minute);
        Assert.Equal(new StackResult(StackOutcome.Ok, Size: 1), retry);
    }

    [Fact]
    public void At_the_byte_bound_new_client_keys_are_refused_and_change_nothing_until_old_ones_age_out()
    {
        var one = RequestKeyTable.PerKeyOverheadBytes + 2 * "k0".Length;
        var s = StackState.Empty(new StackStateOptions(DedupWindowEntries: 0, ClientKeyWindowMs: Minute, MaxClientKeyBytes: 3 * one));
        (s, _) = s.Apply(1, new CreateStack("c", "s"), T0);
        for (var i = 0; i < 3; i++) (s, _) = s.Apply(2 + i, ClientPush($"k{i}", "a"), T0);
        Assert.Equal(3 * one, s.RememberedClientKeyBytes);
        var digest = s.Digest;

        // Full: a new client key is refused, not applied and not remembered (so retrying it later is safe) ...
        (s, var refused) = s.Apply(5, ClientPush("k3", "b"), T0 + 1);
        Assert.Equal(new StackResult(StackOutcome.RequestKeysFull), refused);
        Assert.Equal(digest, s.Digest);
        Assert.Equal(3, s.Query(new SizeOfStack("s")).Size);
        // ... a retry of a remembered key still gets its first answer, and keys a node generated still apply.
        (s, var retry) = s.Apply(6, ClientPush("k0", "a"), T0 + 2);
        Assert.Equal(new StackResult(StackOutcome.Ok, Size: 1), retry);
        (s, var generated) = s.Apply(7, new PushValue("g", "s", "g"), T0 + 3);
        Assert.Equal(new StackResult(StackOutcome.Ok, Size: 4), generated);

        // When the old keys age out, the refused key applies.
        (s, var later) = s.Apply(8, ClientPush("k3", "b"), T0 + Minute + 1);
        Assert.Equal(new StackResult(StackOutcome.Ok, Size: 5), later);
        Assert.Equal(one, s.RememberedClientKeyBytes);
    }

    [Fact]
    public void Client_keys_their_times_and_the_log_clock_survive_a_snapshot()
    {
        var options = new StackStateOptions(DedupWindowEntries: 2, ClientKeyWindowMs: Minute, MaxClientKeyBytes: 1 << 20);
        var s = StackState.Empty(options);
        (s, _) = s.Apply(1, new CreateStack("c", "s"), T0);
        (s, _) = s.Apply(2, ClientPush("client", "a"), T0 + 1_000);
        (s, _) = s.Apply(3, new PushValue("generated", "s", "b"), T0 + 2_000);

        var restored = StackSnapshotCodec.Read(StackSnapshotCodec.Write(s), options);
        Assert.Equal(T0 + 2_000, restored.ClockMs);
        Assert.Equal(s.RememberedClientKeyBytes, restored.RememberedClientKeyBytes);
        Assert.Equal(StackSnapshotCodec.Write(s), StackSnapshotCodec.Write(restored));

        // Far past the entry window, the client key is still remembered for its minute and forgotten after it.
        restored = restored.Skip(100);
        Assert.Equal(1, restored.RememberedRequestKeys);
        (var inside, _) = restored.Apply(101, ClientPush("client", "a"), T0 + 1_000 + Minute);
        Assert.Equal(["b", "a"], inside.ValuesTopDown("s"));
        (var after, _) = restored.Apply(101, ClientPush("client", "a"), T0 + 1_001 + Minute);
        Assert.Equal(["a", "b", "a"], after.ValuesTopDown("s"));
    }
}
