from perform.cli import entry

# Guarded: a spawned child process (the stage window) must not run the CLI again.
if __name__ == "__main__":
    entry()
