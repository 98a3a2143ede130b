module buteco/bench/loadgen

go 1.19
