package facturx

import (
	"bytes"
	"encoding/binary"
)

// SRGBProfile is a small ICC v2 display profile of sRGB (IEC 61966-2.1
// primaries adapted to D50, a gamma 2.2 tone curve), the output intent a
// PDF/A file declares. It is built here rather than read from a file so
// the binary needs nothing beside it.
func SRGBProfile() []byte {
	type tag struct {
		sig  string
		data []byte
	}
	// XYZ values are s15Fixed16Number: the value times 65536.
	xyz := func(x, y, z int32) []byte {
		b := []byte("XYZ \x00\x00\x00\x00")
		for _, v := range []int32{x, y, z} {
			b = binary.BigEndian.AppendUint32(b, uint32(v))
		}
		return b
	}
	d50 := []int32{63190, 65536, 54061} // 0.9642, 1.0, 0.8249
	desc := func(s string) []byte {
		b := []byte("desc\x00\x00\x00\x00")
		b = binary.BigEndian.AppendUint32(b, uint32(len(s)+1))
		b = append(b, s...)
		b = append(b, 0)
		b = append(b, make([]byte, 4+4+2+1+67)...) // no Unicode, no ScriptCode description
		return b
	}
	text := func(s string) []byte { return append(append([]byte("text\x00\x00\x00\x00"), s...), 0) }
	curve := []byte("curv\x00\x00\x00\x00\x00\x00\x00\x01\x02\x33") // gamma 2.2 (u8Fixed8 0x0233)
	tags := []tag{
		{"desc", desc("sRGB IEC61966-2.1")},
		{"cprt", text("No copyright, use freely")},
		{"wtpt", xyz(d50[0], d50[1], d50[2])},
		{"rXYZ", xyz(28580, 14582, 911)},  // 0.4361, 0.2225, 0.0139
		{"gXYZ", xyz(25238, 46983, 6364)}, // 0.3851, 0.7169, 0.0971
		{"bXYZ", xyz(9378, 3971, 46799)},  // 0.1431, 0.0606, 0.7141
		{"rTRC", curve}, {"gTRC", curve}, {"bTRC", curve},
	}
	var body bytes.Buffer
	offsets := make([]int, len(tags))
	start := 128 + 4 + 12*len(tags)
	for i, t := range tags {
		for (start+body.Len())%4 != 0 {
			body.WriteByte(0)
		}
		offsets[i] = start + body.Len()
		body.Write(t.data)
	}
	for (start+body.Len())%4 != 0 {
		body.WriteByte(0)
	}
	size := start + body.Len()
	h := make([]byte, 128)
	binary.BigEndian.PutUint32(h[0:], uint32(size))
	copy(h[8:], []byte{2, 0x10, 0, 0}) // version 2.1
	copy(h[12:], "mntr")
	copy(h[16:], "RGB ")
	copy(h[20:], "XYZ ")
	binary.BigEndian.PutUint16(h[24:], 2026) // creation date
	binary.BigEndian.PutUint16(h[26:], 1)
	binary.BigEndian.PutUint16(h[28:], 1)
	copy(h[36:], "acsp")
	binary.BigEndian.PutUint32(h[64:], 0) // perceptual
	for i, v := range d50 {               // the illuminant
		binary.BigEndian.PutUint32(h[68+4*i:], uint32(v))
	}
	out := append(h, binary.BigEndian.AppendUint32(nil, uint32(len(tags)))...)
	for i, t := range tags {
		out = append(out, t.sig...)
		out = binary.BigEndian.AppendUint32(out, uint32(offsets[i]))
		out = binary.BigEndian.AppendUint32(out, uint32(len(t.data)))
	}
	return append(out, body.Bytes()...)
}
