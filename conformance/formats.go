package conformance

import (
	"fmt"
	"io"
	"os"
	"strings"
)

// kitFormat is an output the kit writes itself, from its verdicts, after
// the run: JUnit XML or cucumber JSON, to a file or (without one) to the
// run's output.
type kitFormat struct {
	name, file string
	write      func(Summary, io.Writer) error
}

// kitFormats are the formatters the kit writes in godog's place: godog's
// know nothing of skip reasons or of the ledgers.
var kitFormats = map[string]func(Summary, io.Writer) error{
	"junit":    Summary.WriteJUnit,
	"cucumber": Summary.WriteCucumber,
}

// splitFormats separates a --format list into what godog streams during
// the run (pretty, progress, …) and what the kit writes after it.
func splitFormats(list string) (godogList string, kit []kitFormat) {
	var rest []string
	for part := range strings.SplitSeq(list, ",") {
		part = strings.TrimSpace(part)
		name, file, _ := strings.Cut(part, ":")
		if write, ok := kitFormats[name]; ok {
			kit = append(kit, kitFormat{name: name, file: file, write: write})
			continue
		}
		if part != "" {
			rest = append(rest, part)
		}
	}
	return strings.Join(rest, ","), kit
}

// writeTo writes the summary in format f: to its file, or to out.
func (f kitFormat) writeTo(sum Summary, out io.Writer) error {
	if f.file == "" {
		return f.write(sum, out)
	}
	file, err := os.Create(f.file)
	if err != nil {
		return fmt.Errorf("conformance: --format %s: %w", f.name, err)
	}
	if err := f.write(sum, file); err != nil {
		file.Close()
		return fmt.Errorf("conformance: --format %s:%s: %w", f.name, f.file, err)
	}
	return file.Close()
}
