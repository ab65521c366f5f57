//! The `secretops` binary: everything lives in the library.

fn main() -> std::process::ExitCode {
    secretops::cli::main()
}
