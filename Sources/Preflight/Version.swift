/// The version of preflight (the library, the command-line tool and the benchmark).
public enum PreflightVersion {
    public static let current = "0.2.0"
}
