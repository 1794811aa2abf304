#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a run's wall time went, stage by stage, in seconds (the benchmark prints them). The
/// stages run one after the other per window, so they add up to about the whole run.
public struct StageTimes: Sendable, Equatable, Codable {
    /// Reading windows from the input (the copy in, gzip's inflation).
    public var reading = 0.0
    /// Cutting windows into chunks (for a JSON array, the structural scan that finds the elements).
    public var planning = 0.0
    /// The workers, in parallel: parsing rows and checking them against the schema.
    public var checking = 0.0
    /// Settling a window's chunks, on one thread: for CSV, reading again a chunk whose cut a
    /// malformed quote misled.
    public var settling = 0.0
    /// Putting chunks in order and registering ids in the duplicate check (shards in parallel).
    public var merging = 0.0
    /// Checking, at the end, the ids that went past the memory limit to scratch files.
    public var settlingSpilledIDs = 0.0
    /// A run with observers under a memory limit: reading again the rows held back for their
    /// duplicate verdicts (see "Memory and scratch files" in the README).
    public var secondReading = 0.0
    /// Bytes of ids the duplicate check wrote to scratch files (0 when every id fit in memory).
    public var spilledBytes = 0

    /// Zero for every stage.
    public init() {}

    /// Seconds on a monotonic clock (for the stages, and for callers timing a run).
    public static var now: Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
