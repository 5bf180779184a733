#!/bin/bash
# One Slurm array task per run of a planned apnas grid (docs/scale-out.md).
#
#   apnas ablate CONFIG... --vary ... --seeds S --set run.threads=2 \
#       --out runs/study --plan          # prints the runs: N of them
#   sbatch --array=0-$((N-1)) scripts/scale-out/slurm-array.sh runs/study
#
# Resubmit the same line to resume: a finished run exits at once, an
# interrupted one continues from its checkpoint, and a run another task
# still holds is waited for.  Then: apnas report runs/study.
#
#SBATCH --job-name=apnas-grid
#SBATCH --array=0-3
#SBATCH --cpus-per-task=2
#SBATCH --time=04:00:00
#SBATCH --output=%x-%A_%a.out
#SBATCH --signal=B:TERM@120
#SBATCH --requeue
#
# --array: 0..N-1 (the --array given to sbatch wins over this line).
# --cpus-per-task: the run.threads the grid was planned with.
# --signal=B:TERM@120: SIGTERM to `apnas ablate` two minutes before the
# time limit; it passes it on to the search, which checkpoints and stops
# (exit 143), so the next submission resumes instead of redoing the run.
set -eu
grid=${1:?usage: sbatch --array=0-N slurm-array.sh GRID_DIR}
apnas=${APNAS:-apnas}
: "${SLURM_ARRAY_TASK_ID:?run me as an array job: sbatch --array=0-N}"
# Not exec'd: bash stays the batch step's main process and waits, so the
# early SIGTERM of --signal=B: reaches apnas through the trap below.
"$apnas" ablate "$grid" --run "$SLURM_ARRAY_TASK_ID" &
pid=$!
trap 'kill -TERM "$pid" 2>/dev/null' TERM INT
status=0
wait "$pid" || status=$?
# A trapped signal ends the first wait early: wait for apnas to stop.
while kill -0 "$pid" 2>/dev/null; do
	wait "$pid" || status=$?
done
exit "$status"
