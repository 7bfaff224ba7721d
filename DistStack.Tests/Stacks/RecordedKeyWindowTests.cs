using DistStack.Actors.Stacks;

namespace DistStack.Tests.Stacks;

/// <summary>
/// The window shares append-only storage between the windows of one lineage. Whatever is shared, each window must
/// answer from its own range alone: an older window must not see what a newer one appended, and appending to an
/// older window (a branch) must not change what the newer one sees.
/// </summary>
public sealed class RecordedKeyWindowTests
{
    private static RecordedKey Entry(long index, string? key = null) =>
        new(key ?? $"key-{index}", index, index * 10, false, new StackResult(StackOutcome.Ok, Size: index), (ulong)index);

    private static RecordedKeyWindow Append(RecordedKeyWindow window, RecordedKey entry) =>
        window.Append(entry, StackHashing.Hash(entry.Key));

    private static bool Has(RecordedKeyWindow window, string key) =>
        window.TryGet(key, StackHashing.Hash(key), out _);

    [Fact]
    public void An_older_window_does_not_see_what_a_newer_one_appended_and_a_branch_does_not_disturb_the_newer()
    {
        var older = RecordedKeyWindow.Empty;
        for (long i = 1; i <= 1_500; i++) older = Append(older, Entry(i)); // past one chunk of 1,024
        var newer = Append(older, Entry(1_501));

        Assert.False(Has(older, "key-1501"));
        Assert.True(Has(newer, "key-1501"));

        // The older window branches: its next entry takes position 1,500 too, in storage of its own.
        var branch = Append(older, Entry(1_501, "branch-key"));
        Assert.True(Has(branch, "branch-key"));
        Assert.False(Has(branch, "key-1501"));
        Assert.False(Has(newer, "branch-key"));
        Assert.True(newer.TryGet("key-1501", StackHashing.Hash("key-1501"), out var seen));
        Assert.Equal(1_501, seen.Index);
        Assert.Equal(1_501, newer.Count);
        Assert.Equal(1_501, branch.Count);

        // And the newer one goes on appending in place.
        newer = Append(newer, Entry(1_502));
        Assert.True(Has(newer, "key-1502"));
        Assert.False(Has(branch, "key-1502"));
    }

    [Fact]
    public void A_branch_at_any_length_leaves_the_newer_window_alone()
    {
        // Every length, so that some branch point falls where the newer window started a chunk or rebuilt its index.
        var window = RecordedKeyWindow.Empty;
        for (long i = 1; i <= 2_100; i++)
        {
            var newer = Append(window, Entry(i, $"newer-{i}"));
            var branch = Append(window, Entry(i, $"branch-{i}"));
            Assert.True(Has(newer, $"newer-{i}") && !Has(newer, $"branch-{i}"), $"length {i}: the newer window");
            Assert.True(Has(branch, $"branch-{i}") && !Has(branch, $"newer-{i}"), $"length {i}: the branch");
            Assert.Equal($"newer-{i}", newer.InOrder().Last().Key);
            window = newer;
        }
        Assert.Equal(2_100, window.Count);
    }

    [Fact]
    public void An_earlier_window_enumerates_the_same_entries_however_far_the_lineage_moves_on()
    {
        // A snapshot holds an earlier state while the node goes on applying: chunks are dropped, the index rebuilt.
        var window = RecordedKeyWindow.Empty;
        for (long i = 1; i <= 3_000; i++) window = Append(window, Entry(i));
        var captured = window;
        var expected = captured.InOrder().Select(e => e.Key).ToList();

        for (long i = 3_001; i <= 20_000; i++)
        {
            window = Append(window, Entry(i));
            while (window.Count > 2_000) window = window.WithoutOldest();
        }

        Assert.Equal(expected, captured.InOrder().Select(e => e.Key).ToList());
        Assert.True(Has(captured, "key-1"));
        Assert.False(Has(captured, "key-3001"));
        Assert.False(Has(window, "key-1"));
        Assert.True(Has(window, "key-18001"));
        Assert.False(Has(window, "key-18000"));
        Assert.Equal(2_000, window.Count);
    }

    [Fact]
    public void An_expired_key_recorded_again_is_found_once_live()
    {
        var window = Append(RecordedKeyWindow.Empty, Entry(1, "again"));
        window = Append(window, Entry(2));
        window = window.WithoutOldest();
        Assert.False(Has(window, "again"));

        window = Append(window, Entry(3, "again"));
        Assert.True(window.TryGet("again", StackHashing.Hash("again"), out var found));
        Assert.Equal(3, found.Index);
    }

    /// <summary>
    /// Random appends, expiries and branches from earlier windows (across chunk boundaries and index rebuilds),
    /// each window checked against a plain list of its entries.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(20261202)]
    public void Random_histories_with_branches_match_a_list_per_window(int seed)
    {
        var random = new Random(seed);
        var versions = new List<(RecordedKeyWindow Window, List<RecordedKey> Model)> { (RecordedKeyWindow.Empty, []) };
        var current = versions[0];
        long nextIndex = 1;

        for (var step = 0; step < 20_000; step++)
        {
            // Mostly the newest window goes on; sometimes an earlier one is taken up again.
            if (random.Next(500) == 0) current = versions[random.Next(versions.Count)];
            var (window, model) = current;
            if (model.Count > 0 && random.Next(3) == 0)
            {
                var drop = random.Next(1, Math.Min(model.Count, 40) + 1);
                for (var i = 0; i < drop; i++) window = window.WithoutOldest();
                model = model.Skip(drop).ToList();
            }
            else
            {
                // Keys repeat now and then, as a key recorded again after it expired does. Half are generated keys
                // (32 hex digits, held packed), some results carry a value (held whole).
                var key = random.Next(10) == 0 ? RepeatingKey(random.Next(200)) : random.Next(2) == 0 ? HexKey(random) : $"key-{nextIndex}";
                if (model.Any(e => e.Key == key)) key = $"fresh-{nextIndex}";
                var entry = random.Next(4) == 0
                    ? Entry(nextIndex++, key) with { Result = new StackResult(StackOutcome.Ok, Value: $"popped-{nextIndex}", Size: 3) }
                    : Entry(nextIndex++, key);
                window = Append(window, entry);
                model = [.. model, entry];
            }
            current = (window, model);
            if (step % 97 == 0) versions.Add(current);

            if (step % 50 == 0)
                foreach (var (w, m) in versions.Append(current))
                    AssertMatches(w, m, seed, step, random);
        }
    }

    /// <summary>A key that comes back: as text or as 32 hex digits, by its number.</summary>
    private static string RepeatingKey(int number) => number % 2 == 0 ? $"key-{number}" : $"{number:x32}";

    private static string HexKey(Random random)
    {
        var bytes = new byte[16];
        random.NextBytes(bytes);
        return new Guid(bytes).ToString("N");
    }

    private static void AssertMatches(RecordedKeyWindow window, List<RecordedKey> model, int seed, int step, Random random)
    {
        var context = $"seed {seed}, step {step}";
        Assert.True(model.Count == window.Count, $"{context}: count {window.Count}, model {model.Count}");
        Assert.True(model.SequenceEqual(window.InOrder()), $"{context}: entries differ");
        for (var probe = 0; probe < 5 && model.Count > 0; probe++)
        {
            var expected = model[random.Next(model.Count)];
            Assert.True(window.TryGet(expected.Key, StackHashing.Hash(expected.Key), out var found), $"{context}: {expected.Key} missing");
            Assert.Equal(expected, found);
        }
        var absent = random.Next(2) == 0 ? $"key-{random.Next(30_000)}" : RepeatingKey(random.Next(400));
        Assert.True(model.Any(e => e.Key == absent) == Has(window, absent), $"{context}: {absent} wrongly present or absent");
    }
}
