// Command mkicns builds clawbridge.app's icon file (the .icns that
// Info.plist's CFBundleIconFile names) from the 1024 px application icon
// drawn by assets/icons/gen. It is Go rather than Apple's iconutil so the
// .icns is built and checked on Linux too (make check-packaging).
//
//	go run ./packaging/macos/mkicns [-in assets/icons/app-1024.png] -out clawbridge.icns
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"image/png"
	"os"

	"github.com/clawbridge/clawbridge/patcher/atomicfile"
	"github.com/jackmordaunt/icns/v3"
)

func main() {
	in := flag.String("in", "assets/icons/app-1024.png", "square PNG of at least 1024 px")
	out := flag.String("out", "", "the .icns to write")
	flag.Parse()
	if *out == "" || flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	if err := build(*in, *out); err != nil {
		fmt.Fprintf(os.Stderr, "mkicns: %v\n", err)
		os.Exit(1)
	}
}

// build encodes every icon size macOS uses (16 to 1024 px, with @2x
// variants) from the PNG at in, and checks the result reads back.
func build(in, out string) error {
	f, err := os.Open(in)
	if err != nil {
		return err
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	if b := img.Bounds(); b.Dx() != b.Dy() || b.Dx() < 1024 {
		return fmt.Errorf("%s is %dx%d; the app icon must be square and at least 1024 px (Retina 512@2x)", in, b.Dx(), b.Dy())
	}
	var buf bytes.Buffer
	if err := icns.Encode(&buf, img); err != nil {
		return fmt.Errorf("encode %s: %w", in, err)
	}
	icons, err := icns.Probe(bytes.NewReader(buf.Bytes()))
	if err != nil {
		return fmt.Errorf("read back the .icns: %w", err)
	}
	if len(icons) == 0 {
		return errors.New("the encoder wrote an .icns without icons")
	}
	if err := atomicfile.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		return err
	}
	for _, d := range icons {
		fmt.Printf("%s: %v\n", out, d)
	}
	return nil
}
