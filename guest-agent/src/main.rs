//! The `tipc-agent` binary; everything is in the library.

fn main() -> std::process::ExitCode {
    tipc_agent::cli::main()
}
