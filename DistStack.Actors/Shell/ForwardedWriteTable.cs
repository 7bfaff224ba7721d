using DistStack.Actors.Node;
using DistStack.Actors.Stacks;

namespace DistStack.Actors.Shell;

/// <summary>
/// A follower's forwarded writes, from the moment each is forwarded until its client has its one answer: an id per
/// write (the leader answers by it), its <see cref="ForwardedCopies"/> (which copies went where, what the client
/// hears), its deadline and its next re-send, all in the runner's ticks. One table instead of an actor and two timers
/// per write, so that the copies of many writes can travel to the leader in one message and their answers come back
/// in one. No actor, no timer, no clock: the runner says when a write arrives, a leader is learned, a tick passes,
/// an answer arrives; the table says which copies to send and which clients to answer.
///
/// Ids start at a value the runner draws per incarnation (like read ids), so an answer meant for a write of an
/// earlier incarnation of this node finds no write here instead of the wrong one.
/// </summary>
public sealed class ForwardedWriteTable<TClient>(long firstId, long resendEveryTicks)
{
    private readonly Dictionary<long, Pending> _pending = [];
    private long _nextId = firstId;

    /// <summary>Writes whose client has no answer yet.</summary>
    public int Count => _pending.Count;

    /// <summary>
    /// A write is forwarded to <paramref name="leaderId"/> with <paramref name="ticksLeft"/> ticks left for its answer:
    /// the copy to send now.
    /// </summary>
    public ForwardedWriteCopy Add(StackCommand command, TClient client, int leaderId, long now, long ticksLeft)
    {
        var id = _nextId++;
        var pending = new Pending(command, client, now + ticksLeft) { NextResendTick = now + resendEveryTicks };
        pending.Copies.OnLeader(leaderId);
        _pending.Add(id, pending);
        return new ForwardedWriteCopy(id, command);
    }

    /// <summary>A leader was learned: the copies it must get now (of every write that has not sent it one).</summary>
    public List<ForwardedWriteCopy> OnLeader(int leaderId)
    {
        var copies = new List<ForwardedWriteCopy>();
        foreach (var (id, pending) in _pending)
            if (pending.Copies.OnLeader(leaderId)) copies.Add(new ForwardedWriteCopy(id, pending.Command));
        return copies;
    }

    /// <summary>
    /// An answer to the copy of write <paramref name="writeId"/>: true with the client and what it hears when that
    /// ends the write; false when it only counts, or the write has its answer already (or was never this incarnation's).
    /// </summary>
    public bool OnAnswer(long writeId, NodeReply reply, out TClient client, out NodeReply final)
    {
        client = default!;
        final = null!;
        if (!_pending.TryGetValue(writeId, out var pending) || pending.Copies.OnAnswer(reply) is not { } answer) return false;
        _pending.Remove(writeId);
        (client, final) = (pending.Client, answer);
        return true;
    }

    /// <summary>
    /// A tick passed (<paramref name="now"/>): writes past their deadline are answered (into
    /// <paramref name="answers"/>), and writes with no answer for a re-send interval send another copy to the leader of
    /// the moment (into <paramref name="resends"/>, with that leader's id).
    /// </summary>
    public void Tick(long now, List<(TClient Client, NodeReply Reply)> answers, List<(int LeaderId, ForwardedWriteCopy Copy)> resends)
    {
        List<long>? ended = null;
        foreach (var (id, pending) in _pending)
        {
            if (now >= pending.DeadlineTick)
            {
                (ended ??= []).Add(id);
                if (pending.Copies.OnDeadline() is { } final) answers.Add((pending.Client, final));
                continue;
            }
            if (now < pending.NextResendTick) continue;
            pending.NextResendTick = now + resendEveryTicks;
            if (pending.Copies.OnResendDue()) resends.Add((pending.Copies.CurrentLeader!.Value, new ForwardedWriteCopy(id, pending.Command)));
        }
        if (ended is null) return;
        foreach (var id in ended) _pending.Remove(id);
    }

    /// <summary>The node stops with writes in flight: every client's answer (a copy may still apply). Empties the table.</summary>
    public List<(TClient Client, NodeReply Reply)> Stop()
    {
        var answers = new List<(TClient, NodeReply)>();
        foreach (var pending in _pending.Values)
            if (pending.Copies.OnStopped() is { } final) answers.Add((pending.Client, final));
        _pending.Clear();
        return answers;
    }

    private sealed class Pending(StackCommand command, TClient client, long deadlineTick)
    {
        public StackCommand Command { get; } = command;
        public TClient Client { get; } = client;
        public ForwardedCopies Copies { get; } = new();
        public long DeadlineTick { get; } = deadlineTick;
        public long NextResendTick { get; set; }
    }
}
