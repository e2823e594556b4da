package assets

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/png"
	"testing"
)

func TestTrayIcons(t *testing.T) {
	for name, icon := range map[string]TrayIcon{"good": TrayGood, "attention": TrayAttention, "off": TrayOff} {
		for _, c := range []struct {
			form     string
			data     []byte
			size     int
			template bool
		}{
			{"PNG", icon.PNG, 22, false},
			{"PNG2x", icon.PNG2x, 44, false},
			{"Template", icon.Template, 16, true},
			{"Template2x", icon.Template2x, 32, true},
		} {
			img := decode(t, name+" "+c.form, c.data)
			if b := img.Bounds(); b.Dx() != c.size || b.Dy() != c.size {
				t.Errorf("%s %s: %dx%d, want %dx%d", name, c.form, b.Dx(), b.Dy(), c.size, c.size)
			}
			checkPixels(t, name+" "+c.form, img, c.template)
		}
		checkICO(t, name, icon.ICO)
	}
	app := decode(t, "app icon", AppIcon1024)
	if b := app.Bounds(); b.Dx() != 1024 || b.Dy() != 1024 {
		t.Errorf("app icon: %dx%d, want 1024x1024", b.Dx(), b.Dy())
	}
}

func TestTrayIconStatesDiffer(t *testing.T) {
	icons := []TrayIcon{TrayGood, TrayAttention, TrayOff}
	for i := range icons {
		for j := i + 1; j < len(icons); j++ {
			if bytes.Equal(icons[i].PNG, icons[j].PNG) || bytes.Equal(icons[i].Template, icons[j].Template) {
				t.Errorf("states %d and %d share an icon", i, j)
			}
		}
	}
}

func decode(t *testing.T, what string, data []byte) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return img
}

// checkPixels asks for a drawn icon (a tenth of it at least half opaque,
// transparent corners) and, for a template, only black: macOS uses a
// template's alpha alone, so any colour in it would be a drawing mistake.
func checkPixels(t *testing.T, what string, img image.Image, template bool) {
	t.Helper()
	b := img.Bounds()
	drawn := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, a := img.At(x, y).RGBA()
			if a >= 0x7000 {
				drawn++
			}
			if template && a > 0 && (r|g|bl) != 0 {
				t.Fatalf("%s: pixel (%d,%d) is coloured in a template icon", what, x, y)
			}
		}
	}
	if drawn < b.Dx()*b.Dy()/10 {
		t.Errorf("%s: only %d drawn pixels", what, drawn)
	}
	if _, _, _, a := img.At(b.Min.X, b.Max.Y-1).RGBA(); a != 0 {
		t.Errorf("%s: bottom-left corner not transparent", what)
	}
}

// checkICO reads the ICO directory and decodes each embedded PNG.
func checkICO(t *testing.T, name string, data []byte) {
	t.Helper()
	var head [3]uint16
	if err := binary.Read(bytes.NewReader(data), binary.LittleEndian, &head); err != nil || head[0] != 0 || head[1] != 1 || head[2] == 0 {
		t.Fatalf("%s ICO: bad header %v (%v)", name, head, err)
	}
	for i := 0; i < int(head[2]); i++ {
		e := data[6+16*i : 6+16*(i+1)]
		size := binary.LittleEndian.Uint32(e[8:])
		off := binary.LittleEndian.Uint32(e[12:])
		if int(off+size) > len(data) {
			t.Fatalf("%s ICO entry %d: past the end", name, i)
		}
		img := decode(t, name+" ICO entry", data[off:off+size])
		if img.Bounds().Dx() != int(e[0]) {
			t.Errorf("%s ICO entry %d: %d px, directory says %d", name, i, img.Bounds().Dx(), e[0])
		}
	}
}
