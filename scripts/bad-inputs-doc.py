#!/usr/bin/env python3
"""bad-inputs-doc.py ROWS.md > docs/bad-inputs.md: adds the verdict column to the rows that
scripts/bad-inputs.sh printed (verdicts are judgements kept here, by row name)."""
import sys

POOR = {
    "no arguments": "prints the command list on stdout with exit 2; fine, but nothing on stderr says what was wrong",
    "stdin as -": "POOR: 'not found: -'; stdin is not supported and should say so",
    "truncated M4A with --allow-truncated": "acceptable: says why --allow-truncated cannot help (no index), though not in words that name the option",
    "--out a directory": "POOR: found only after the whole transcription, and the session is stored anyway (W-2; transcribe owner)",
    "--out the input itself": "see the exit: the review's D-1 (data loss) is the transcribe owner's",
    "--title empty": "POOR: '--title needs a value' for an empty value (transcribe owner)",
    "--vad-model a whisper model": "check the exit: a bad VAD file should be refused up front (asr owner)",
    "--vad-model 5000-char path": "check the message: 'path too long' wanted (asr owner)",
    "sessions: unknown subcommand": "",
    "sessions show: extra argument": "POOR if exit 0: an extra argument is ignored (store owner)",
    "sessions rm --json": "POOR if exit 0 with nothing printed (store owner)",
    "summarize: --model a directory": "POOR if it says 'not found' (llm owner)",
    "summarize: --model /dev/zero": "POOR if it says 'not found' (llm owner)",
    "summarize: --model a speech model": "POOR if it does not say it is a speech model (llm owner)",
    "summarize: --model bert": "POOR if it says 'GGUF without bert.block_count' instead of 'does not generate text' (llm owner)",
    "models local --json": "POOR: refused; every listing should take --json (gpu owner, cmd_models.c)",
    "damaged catalog.json (transcribe --model tiny)": "POOR if it refuses: an id the catalog is not needed for still depends on the override parsing (review)",
}

rows = [l.rstrip("\n") for l in open(sys.argv[1]) if l.startswith("| ") and not l.startswith("| input ")]
print("""# Bad inputs: every one tried, with its exact message

Each row is one bad input given to the built `parley` by `scripts/bad-inputs.sh` (isolated
XDG directories, the tiny whisper stand-in, stories260K with a test chat template; `~` is
that run's scratch directory), with the exit code and the first line the command wrote to
stderr, exactly as printed. Remake the table with:

    scripts/root.sh run scripts/bad-inputs.sh > /tmp/rows.md && scripts/bad-inputs-doc.py /tmp/rows.md > docs/bad-inputs.md

Exit codes: 0 success, 1 failure, 2 usage error, 130/143 cancelled by SIGINT/SIGTERM,
139 a crash (SIGSEGV). The last column is a judgement: blank means the message names the
input, the problem and (where there is one) the way out; **POOR** marks the ones still
wanting work, with the owner of the code.

Run on """ + (sys.argv[2] if len(sys.argv) > 2 else "2026-11-27") + """, branch rel after merging main (shared 2-core machine).

| input | command | exit | message (first line of stderr) | verdict |
|---|---|---|---|---|""")
for r in rows:
    cells = r.split(" | ")
    name = cells[0][2:]
    v = POOR.get(name, "")
    if cells[2].strip() == "139":
        v = "POOR: crash"
    print(r + " " + v + " |")
