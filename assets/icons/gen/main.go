// Command gen draws clawbridge's icons into assets/icons: the tray icon in
// three states (good, attention, off) as coloured PNGs for Linux panels,
// black template PNGs for the macOS menu bar, ICO files for Windows, and the
// 1024 px application icon. Run it through `go generate ./assets`; the
// test beside it fails when the committed files differ from what it draws.
package main

import (
	"bytes"
	"encoding/binary"
	"flag"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"sort"
)

// Pixel sizes. macOS shows the status item icon at 16 pt, so the template
// icon is 16 px at 1x and 32 px at 2x; Linux panels are about 22 px high;
// Windows picks from 16, 32 and 48 px.
const (
	templateSize = 16
	regularSize  = 22
	appSize      = 1024
)

var icoSizes = []int{16, 32, 48}

func main() {
	out := flag.String("out", ".", "directory to write the icons to")
	flag.Parse()
	files, err := draw()
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if err := os.WriteFile(filepath.Join(*out, name), files[name], 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "gen:", err)
			os.Exit(1)
		}
	}
}

// draw returns every icon file by name.
func draw() (map[string][]byte, error) {
	files := map[string][]byte{}
	add := func(name string, img image.Image) error {
		b, err := encodePNG(img)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		files[name] = b
		return nil
	}
	for _, s := range states {
		for _, f := range []struct {
			name   string
			size   int
			layers []layer
		}{
			{"tray-" + s.name + ".png", regularSize, s.regular},
			{"tray-" + s.name + "@2x.png", 2 * regularSize, s.regular},
			{"tray-" + s.name + "-template.png", templateSize, s.template},
			{"tray-" + s.name + "-template@2x.png", 2 * templateSize, s.template},
		} {
			if err := add(f.name, render(f.size, f.layers)); err != nil {
				return nil, err
			}
		}
		var pngs [][]byte
		for _, size := range icoSizes {
			b, err := encodePNG(render(size, s.regular))
			if err != nil {
				return nil, err
			}
			pngs = append(pngs, b)
		}
		files["tray-"+s.name+".ico"] = ico(icoSizes, pngs)
	}
	if err := add("app-1024.png", appIcon(appSize)); err != nil {
		return nil, err
	}
	return files, nil
}

func encodePNG(img image.Image) ([]byte, error) {
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// ico packs PNG images into an ICO file, which Windows (Vista and later)
// reads as is: a 6-byte header, a 16-byte entry per image, then the images.
func ico(sizes []int, pngs [][]byte) []byte {
	var buf bytes.Buffer
	le := binary.LittleEndian
	binary.Write(&buf, le, [3]uint16{0, 1, uint16(len(pngs))})
	offset := 6 + 16*len(pngs)
	for i, p := range pngs {
		binary.Write(&buf, le, struct {
			W, H, Colors, Reserved uint8
			Planes, BitCount       uint16
			Size, Offset           uint32
		}{uint8(sizes[i]), uint8(sizes[i]), 0, 0, 1, 32, uint32(len(p)), uint32(offset)})
		offset += len(p)
	}
	for _, p := range pngs {
		buf.Write(p)
	}
	return buf.Bytes()
}
