# Sourced by the MPI benchmarks (mpi_run.sh, ablate_mpi.sh) once they know
# their build directory ($build) and their name ($name): stops (exit 2)
# without mpirun, then sets what every mpirun of theirs needs: the plugins
# of that build, Open MPI as root, and shared memory between the ranks of
# this machine.
command -v mpirun >/dev/null || { echo "$name: no mpirun" >&2; exit 2; }
export APNAS_PLUGIN_PATH="$build/plugins"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_btl=self,vader
