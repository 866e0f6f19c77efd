// Package vntext handles Vietnamese text for ketnoi: canonical normalization
// for storage and display (Normalize), index and query keys with canonical
// tone-mark placement (Key, AppendKey), diacritic folding (Fold, FoldKey,
// AppendFoldKey), Vietnamese syllable checks (SyllableValidity), and the
// legacy 8-bit encodings still found in old documents and PDFs (TCVN3/ABC,
// VNI-Windows, VISCII, Windows-1258): Decode, DecodeFontString, FontEncoding,
// Detect and RepairMojibake.
//
// Canonical tone placement (Key) is the "old" style, the default of Unikey and
// the most common spelling on the Vietnamese web: in an open syllable with the
// unmarked pairs oa, oe, uy the tone sits on the first vowel ("hòa", "khỏe",
// "thúy"); everywhere else both styles agree (tone on the vowel with a
// diacritic, ơ in ươ, the last vowel before a final consonant, the middle of
// three vowels, after qu/gi onsets on the following vowel).
//
// All functions are safe for concurrent use: the package keeps only read-only
// tables built at init.
package vntext
