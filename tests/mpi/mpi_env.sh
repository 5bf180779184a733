# Sourced by the tests of tests/mpi once they have made $tmp and know the
# build has MPI: skips (77) without mpirun, then sets what every mpirun of
# theirs needs and defines `mpi N CMD...` (mpirun -np N, quiet, loopback).
command -v mpirun >/dev/null 2>&1 || {
	echo "SKIP: mpirun is not installed (Debian openmpi-bin)" >&2; exit 77; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# The ASan build (.ci/run): Open MPI's own allocations left to the exit
# are suppressed (lsan-openmpi.supp, full stacks, MCA components kept
# loaded so that frames name them); apnas's own stay checked.
export OMPI_MCA_mca_base_component_disable_dlclose=1
if [ -n "${LSAN_OPTIONS:-}" ]; then
	supp=$(echo "$LSAN_OPTIONS" | sed -n 's/.*suppressions=\([^:]*\).*/\1/p')
	cat ${supp:+"$supp"} "$(dirname "$0")/lsan-openmpi.supp" >"$tmp/lsan.supp"
	export LSAN_OPTIONS="$LSAN_OPTIONS:suppressions=$tmp/lsan.supp:fast_unwind_on_malloc=0"
fi
# loopback only: shared memory between the ranks of this machine
export OMPI_MCA_btl=self,vader OMPI_MCA_btl_tcp_if_include=lo
export OMPI_MCA_oob_tcp_if_include=lo
mpi() { mpirun -q --oversubscribe -np "$@"; }
