package main

import (
	"fmt"
	"strings"
)

// unifiedDiff is a unified diff (as diff -u prints it, 3 lines of context) from a to b, or ""
// when they are equal. It is for files a person reads, a few hundred lines: the longest
// common subsequence is computed in O(len(a)*len(b)).
func unifiedDiff(aName, bName, a, b string) string {
	if a == b {
		return ""
	}
	x, y := splitLines(a), splitLines(b)
	ops := diffLines(x, y)
	var out strings.Builder
	fmt.Fprintf(&out, "--- %s\n+++ %s\n", aName, bName)
	const context = 3
	for i := 0; i < len(ops); {
		if ops[i].kind == ' ' {
			i++
			continue
		}
		start := max(i-context, 0)
		end := i
		for end < len(ops) {
			if ops[end].kind != ' ' {
				end++
				continue
			}
			run := end
			for run < len(ops) && ops[run].kind == ' ' {
				run++
			}
			if run == len(ops) || run-end > 2*context {
				end = min(end+context, len(ops))
				break
			}
			end = run
		}
		writeHunk(&out, ops[start:end])
		i = end
	}
	return out.String()
}

// diffOp is one line of the diff: ' ' in both, '-' only in a, '+' only in b, with the line
// numbers (1-based) it has in a and b.
type diffOp struct {
	kind       byte
	line       string
	aLine, bLn int
}

func diffLines(x, y []string) []diffOp {
	// lcs[i][j] is the length of the longest common subsequence of x[i:] and y[j:].
	lcs := make([][]int, len(x)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(y)+1)
	}
	for i := len(x) - 1; i >= 0; i-- {
		for j := len(y) - 1; j >= 0; j-- {
			if x[i] == y[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var ops []diffOp
	i, j := 0, 0
	for i < len(x) || j < len(y) {
		switch {
		case i < len(x) && j < len(y) && x[i] == y[j]:
			ops = append(ops, diffOp{' ', x[i], i + 1, j + 1})
			i, j = i+1, j+1
		case j < len(y) && (i == len(x) || lcs[i][j+1] > lcs[i+1][j]):
			ops = append(ops, diffOp{'+', y[j], i, j + 1})
			j++
		default:
			ops = append(ops, diffOp{'-', x[i], i + 1, j})
			i++
		}
	}
	return ops
}

// writeHunk writes one hunk: its @@ header with the ranges in a and b, then its lines.
func writeHunk(out *strings.Builder, ops []diffOp) {
	aStart, bStart, aN, bN := 0, 0, 0, 0
	for _, op := range ops {
		if op.kind != '+' {
			if aN == 0 {
				aStart = op.aLine
			}
			aN++
		}
		if op.kind != '-' {
			if bN == 0 {
				bStart = op.bLn
			}
			bN++
		}
	}
	if aN == 0 {
		aStart = ops[0].aLine // an insertion: the line after which it goes
	}
	if bN == 0 {
		bStart = ops[0].bLn
	}
	fmt.Fprintf(out, "@@ -%s +%s @@\n", hunkRange(aStart, aN), hunkRange(bStart, bN))
	for _, op := range ops {
		fmt.Fprintf(out, "%c%s\n", op.kind, op.line)
	}
}

func hunkRange(start, n int) string {
	if n == 1 {
		return fmt.Sprint(start)
	}
	return fmt.Sprintf("%d,%d", start, n)
}

func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}
