using DistStack.Tests.Linearizability;

namespace DistStack.Tests.Chaos;

/// <summary>Every client call of the run, in the order they completed, with a note on how each one went.</summary>
public sealed class HistoryRecorder
{
    private readonly object _gate = new();
    private readonly List<(HistoryOp Op, string Note)> _ops = [];
    private int _nextId;

    public int NextId() => Interlocked.Increment(ref _nextId);

    public void Add(HistoryOp op, string note)
    {
        lock (_gate)
        {
            _ops.Add((op, note));
        }
    }

    public IReadOnlyList<HistoryOp> Ops
    {
        get
        {
            lock (_gate)
            {
                return _ops.Select(o => o.Op).OrderBy(o => o.InvokedAt).ThenBy(o => o.Id).ToList();
            }
        }
    }

    public void Write(string path)
    {
        lock (_gate)
        {
            File.WriteAllLines(path, _ops.OrderBy(o => o.Op.InvokedAt).ThenBy(o => o.Op.Id).Select(o => HistoryFile.ToLine(o.Op, o.Note)));
        }
    }
}
