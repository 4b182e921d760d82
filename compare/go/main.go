// The Go reference for csp-compare: the thread and select scenarios of the
// comparison, on goroutines and Go channels (unbuffered = rendezvous). Each line of
// output is "scenario<TAB>nanoseconds per operation", named as csp-compare names
// them. Runs are calibrated by time after a warm-up, and the median of -runs counts.
//
//	go run compare/go/main.go -target-ms 250 -runs 5 [-only NAME]...
package main

import (
	"flag"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"
	"time"
)

// pingPong: n round trips between this goroutine and an echo goroutine.
func pingPong(capacity, n int) time.Duration {
	ping, pong := make(chan int, capacity), make(chan int, capacity)
	go func() {
		for v := range ping {
			pong <- v
		}
	}()
	start := time.Now()
	for i := 0; i < n; i++ {
		ping <- i
		if <-pong != i {
			panic("ping-pong lost a value")
		}
	}
	elapsed := time.Since(start)
	close(ping)
	return elapsed
}

// spread: senders share n messages to receivers over one channel.
func spread(senders, receivers, capacity, n int) time.Duration {
	ch := make(chan int, capacity)
	per := (n + senders - 1) / senders
	var sent, received sync.WaitGroup
	start := time.Now()
	for s := 0; s < senders; s++ {
		sent.Add(1)
		go func() {
			defer sent.Done()
			for i := 0; i < per; i++ {
				ch <- i
			}
		}()
	}
	for r := 0; r < receivers; r++ {
		received.Add(1)
		go func() {
			defer received.Done()
			for range ch {
			}
		}()
	}
	sent.Wait()
	close(ch)
	received.Wait()
	return time.Duration(float64(time.Since(start)) * float64(n) / float64(per*senders))
}

// fanIn: one producer per unbuffered channel, one receiver selecting over all of
// them (a select statement for 4, reflect.Select for any number).
func fanIn(arms, n int) time.Duration {
	per := (n + arms - 1) / arms
	chans := make([]chan int, arms)
	for i := range chans {
		chans[i] = make(chan int)
		go func(ch chan int) {
			for i := 0; i < per; i++ {
				ch <- i
			}
		}(chans[i])
	}
	total := per * arms
	start := time.Now()
	if arms == 4 {
		a, b, c, d := chans[0], chans[1], chans[2], chans[3]
		for i := 0; i < total; i++ {
			select {
			case <-a:
			case <-b:
			case <-c:
			case <-d:
			}
		}
	} else {
		cases := make([]reflect.SelectCase, arms)
		for i, ch := range chans {
			cases[i] = reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(ch)}
		}
		for i := 0; i < total; i++ {
			reflect.Select(cases)
		}
	}
	return time.Duration(float64(time.Since(start)) * float64(n) / float64(total))
}

// sendArms: one goroutine selecting over send cases on 4 unbuffered channels, each
// drained by its own goroutine.
func sendArms(n int) time.Duration {
	a, b, c, d := make(chan int), make(chan int), make(chan int), make(chan int)
	var drained sync.WaitGroup
	for _, ch := range []chan int{a, b, c, d} {
		drained.Add(1)
		go func(ch chan int) {
			defer drained.Done()
			for range ch {
			}
		}(ch)
	}
	start := time.Now()
	for i := 0; i < n; i++ {
		select {
		case a <- i:
		case b <- i:
		case c <- i:
		case d <- i:
		}
	}
	close(a)
	close(b)
	close(c)
	close(d)
	drained.Wait()
	return time.Since(start)
}

type scenario struct {
	name     string
	messages int
	run      func(n int) time.Duration
}

func scenarios() []scenario {
	var all []scenario
	for _, capacity := range []int{0, 1} {
		capacity := capacity
		all = append(all, scenario{fmt.Sprintf("ping_pong/cap%d", capacity), 20000,
			func(n int) time.Duration { return pingPong(capacity, n) }})
	}
	for _, shape := range [][2]int{{1, 1}, {4, 1}, {4, 4}} {
		for _, capacity := range []int{0, 1, 1024} {
			shape, capacity := shape, capacity
			messages := 40000
			if capacity == 1024 {
				messages = 400000
			}
			all = append(all, scenario{fmt.Sprintf("throughput/%dx%d/cap%d", shape[0], shape[1], capacity), messages,
				func(n int) time.Duration { return spread(shape[0], shape[1], capacity, n) }})
		}
	}
	all = append(all,
		scenario{"fan_in/4", 40000, func(n int) time.Duration { return fanIn(4, n) }},
		scenario{"fan_in/16", 40000, func(n int) time.Duration { return fanIn(16, n) }},
		scenario{"send_arms/4", 40000, sendArms},
	)
	return all
}

type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(v string) error { *l = append(*l, v); return nil }

func main() {
	targetMs := flag.Int("target-ms", 250, "how long each measured run should last")
	runs := flag.Int("runs", 5, "runs per measurement; the median counts")
	var only list
	flag.Var(&only, "only", "only scenarios whose name contains this (repeatable)")
	flag.Parse()
	target := time.Duration(*targetMs) * time.Millisecond
	for _, s := range scenarios() {
		if len(only) > 0 {
			match := false
			for _, o := range only {
				match = match || strings.Contains(s.name, o)
			}
			if !match {
				continue
			}
		}
		probe := s.messages / 100
		if probe < 100 {
			probe = 100
		}
		warmUp := time.Now()
		took := s.run(probe)
		for time.Since(warmUp) < target {
			took = s.run(probe)
		}
		if took < time.Microsecond {
			took = time.Microsecond
		}
		n := int(float64(probe) * float64(target) / float64(took))
		if n < probe {
			n = probe
		}
		if n > s.messages*20 {
			n = s.messages * 20
		}
		samples := make([]float64, *runs)
		for i := range samples {
			samples[i] = float64(s.run(n).Nanoseconds()) / float64(n)
		}
		sort.Float64s(samples)
		fmt.Printf("%s\t%.3f\n", s.name, samples[len(samples)/2])
	}
}
