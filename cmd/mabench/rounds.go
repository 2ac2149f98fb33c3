package main

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// measured is one path measured in rounds: in each round miniauth at full
// speed and then the floor at full speed, so that the ratio of a round
// compares two runs made a few seconds apart, on the same machine in the
// same state. The round with the median ratio is the one reported. Then
// miniauth at half the median maximum rate, once per round, the median
// p99 reported, and the floor once at that same rate, for reference: the
// latency the machine itself allows at that load.
type measured struct {
	name      string
	unit      string      // "req/s" or "op/s"
	rounds    [][2]result // miniauth, floor
	pick      int         // the round with the median ratio
	half      []result
	halfPick  int // the half-rate run with the median p99
	floorHalf result
}

func (m measured) ratio(i int) float64 {
	if f := m.rounds[i][1].Throughput; f > 0 {
		return m.rounds[i][0].Throughput / f
	}
	return 0
}

// Ratio is the median round's ratio to the floor.
func (m measured) Ratio() float64 { return m.ratio(m.pick) }

// ratios lists every round's ratio, "0.66 / 0.71 / 0.69".
func (m measured) ratios() string {
	var s []string
	for i := range m.rounds {
		s = append(s, fmt.Sprintf("%.2f", m.ratio(i)))
	}
	return strings.Join(s, " / ")
}

// measure runs rounds of apiMax then floorMax, then half-rate runs of
// miniauth (half) and one of the floor (floorHalf) at half the median
// maximum. A round whose runs fail (err set by the callers) ends it.
func (b *bench) measure(name, unit string, apiMax, floorMax func(round int) result, half, floorHalf func(rate float64) result) measured {
	m := measured{name: name, unit: unit}
	n := max(1, b.o.rounds)
	if strings.Contains(name, "cold") {
		// Its users are never-seen ones, and one round sees them all: a
		// second would measure them warm.
		n = 1
	}
	for i := 0; i < n; i++ {
		r := apiMax(i)
		b.logf("%-16s round %d max  %8.0f %s p99 %v errors %d [%s] cpu µs %.0f", name, i+1, r.Throughput, unit, r.P99, r.Errors, r.StatusCodes, r.CPU)
		f := floorMax(i)
		b.logf("%-16s round %d floor %7.0f %s p99 %v errors %d cpu µs %.0f", name, i+1, f.Throughput, unit, f.P99, f.Errors, f.CPU)
		m.rounds = append(m.rounds, [2]result{r, f})
	}
	m.pick = medianIndex(len(m.rounds), m.ratio)
	maxes := make([]float64, len(m.rounds))
	for i, r := range m.rounds {
		maxes[i] = r[0].Throughput
	}
	sort.Float64s(maxes)
	rate := math.Max(1, maxes[len(maxes)/2]/2)
	for i := 0; i < n; i++ {
		h := half(rate)
		b.logf("%-16s half %d %8.0f %s p99 %v errors %d", name, i+1, h.Throughput, unit, h.P99, h.Errors)
		m.half = append(m.half, h)
	}
	m.halfPick = medianIndex(len(m.half), func(i int) float64 { return float64(m.half[i].P99) })
	m.floorHalf = floorHalf(rate)
	b.logf("%-16s floor half %6.0f %s p99 %v errors %d", name, m.floorHalf.Throughput, unit, m.floorHalf.P99, m.floorHalf.Errors)
	b.measured = append(b.measured, m)
	return m
}

// medianIndex is the index of the median of n values (the lower middle
// one for an even n).
func medianIndex(n int, v func(int) float64) int {
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return v(idx[a]) < v(idx[b]) })
	return idx[(n-1)/2]
}
