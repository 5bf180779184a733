# Sourced by the report's shell tests: writes $1/tiny.cfg, a search that
# trains (enas_macro on 8x8 synthetic images, two layers of four
# channels) and that `apnas draw` can draw, and runs it as a grid of two
# arrays x two seeds, each retrained for one epoch, into $1/grid.  About
# two seconds.  Needs $apnas.
tiny_grid() {
	cat > "$1/tiny.cfg" <<'CFG'
run = { seed = 1; threads = 1; };
data = { dataset = "synthetic"; synthetic_n = 300;
  synthetic_test_n = 50; synthetic_classes = 4;
  synthetic_c = 1; synthetic_h = 8; synthetic_w = 8;
  val_size = 100; batch_size = 50; eval_batch_size = 50; };
search = { epochs = 2; controller_steps = 2; aggregate = 2;
  derive_samples = 8; derive_screen_batches = 1;
  derive_rescore_top = 2; top_k = 2; };
space = { plugin = "enas_macro"; layers = 2; channels = 4; };
controller = { plugin = "random"; };
reward = { plugin = "mnas"; target = 0.5; reference = "all-conv3x3"; };
cost = { plugin = "systolic"; rows = 4; cols = 4; };
CFG
	if ! "$apnas" ablate "$1/tiny.cfg" --seeds 2 \
		--vary cost.rows+cost.cols=4,8 --retrain --retrain-epochs 1 \
		--jobs 1 --no-report --out "$1/grid" >"$1/ablate.log" 2>&1; then
		echo "FAIL: apnas ablate on the tiny grid:" >&2
		cat "$1/ablate.log" >&2
		exit 1
	fi
}
