/* Tests of the capture-file decoders on the shared test data, and on broken files. */
#include "test.h"

#include "rune/alloc.h"
#include "rune/source.h"

TEST(wav_reads_the_speech_commands_files)
{
    const char *names[] = {"yes_1000ms.wav", "no_1000ms.wav", "silence_1000ms.wav",
                           "noise_1000ms.wav"};
    for (size_t i = 0; i < 4; i++) {
        char rel[64];
        snprintf(rel, sizeof rel, "testdata/%s", names[i]);
        rune_audio a;
        rune_error err;
        CHECK_OK(rune_wav_load(SHARED(rel), &a, &err), &err);
        CHECK_EQ_INT(a.sample_rate, 16000);
        CHECK_EQ_INT(a.n_samples, 16000);
        CHECK_EQ_INT(a.source_channels, 1);
        CHECK_EQ_INT(a.source_bits, 16);
        rune_audio_free(&a);
    }
    rune_audio a;
    rune_error err;
    CHECK_OK(rune_wav_load(SHARED("testdata/yes_30ms.wav"), &a, &err), &err);
    CHECK_EQ_INT(a.n_samples, 480);
    rune_audio_free(&a);
}

TEST(wav_samples_are_exact_and_speech_is_louder_than_silence)
{
    size_t len = 0;
    unsigned char *raw = test_read_file(SHARED("testdata/yes_1000ms.wav"), &len);
    CHECK(raw != NULL);
    if (!raw) return;
    rune_audio a;
    rune_error err;
    CHECK_OK(rune_wav_decode(raw, len, &a, &err), &err);
    /* The canonical 44-byte header: samples start at byte 44; compare a few straight from the
     * bytes. */
    for (size_t i = 0; i < a.n_samples; i += 997) {
        int16_t want = (int16_t)(raw[44 + 2 * i] | (raw[45 + 2 * i] << 8));
        CHECK_EQ_INT(a.samples[i], want);
    }
    double e_yes = 0;
    for (size_t i = 0; i < a.n_samples; i++)
        e_yes += (double)a.samples[i] * a.samples[i];
    rune_audio_free(&a);
    free(raw);
    CHECK_OK(rune_wav_load(SHARED("testdata/silence_1000ms.wav"), &a, &err), &err);
    double e_sil = 0;
    for (size_t i = 0; i < a.n_samples; i++)
        e_sil += (double)a.samples[i] * a.samples[i];
    rune_audio_free(&a);
    CHECK(e_yes > 10 * e_sil);
}

TEST(wav_resample_halves_and_doubles)
{
    rune_audio a;
    rune_error err;
    CHECK_OK(rune_wav_load(SHARED("testdata/yes_1000ms.wav"), &a, &err), &err);
    int16_t s2 = a.samples[2];
    CHECK_OK(rune_audio_resample(&a, 8000, &err), &err);
    CHECK_EQ_INT(a.n_samples, 8000);
    CHECK_EQ_INT(a.samples[1], s2);
    CHECK_OK(rune_audio_resample(&a, 16000, &err), &err);
    CHECK_EQ_INT(a.n_samples, 16000);
    CHECK_STATUS(rune_audio_resample(&a, 0, &err), RUNE_E_ARG);
    rune_audio_free(&a);
}

TEST(wav_broken_files_are_clear_errors)
{
    size_t len = 0;
    unsigned char *raw = test_read_file(SHARED("testdata/no_30ms.wav"), &len);
    CHECK(raw != NULL);
    if (!raw) return;
    rune_audio a;
    rune_error err;
    long live = rune_alloc_live();
    /* Every truncation is an error or a shorter-but-valid file, never a crash or a leak. */
    for (size_t cut = 0; cut < 60; cut++) {
        rune_status st = rune_wav_decode(raw, cut, &a, &err);
        CHECK(st != RUNE_OK);
    }
    CHECK_STATUS(rune_wav_decode(raw, len - 1, &a, &err), RUNE_E_MALFORMED);
    CHECK_CONTAINS(err.msg, "data chunk claims");
    unsigned char *bad = malloc(len);
    memcpy(bad, raw, len);
    bad[20] = 2; /* ADPCM */
    CHECK_STATUS(rune_wav_decode(bad, len, &a, &err), RUNE_E_UNSUPPORTED);
    CHECK_CONTAINS(err.msg, "format tag 2");
    memcpy(bad, raw, len);
    memcpy(bad + 8, "AVI ", 4);
    CHECK_STATUS(rune_wav_decode(bad, len, &a, &err), RUNE_E_MALFORMED);
    CHECK_CONTAINS(err.msg, "not a RIFF/WAVE");
    free(bad);
    free(raw);
    CHECK_STATUS(rune_wav_load("/nonexistent/x.wav", &a, &err), RUNE_E_IO);
    CHECK_CONTAINS(err.msg, "/nonexistent/x.wav");
    CHECK_EQ_INT(rune_alloc_live(), live);
}

TEST(png_and_bmp_decode_to_the_same_96x96_picture)
{
    rune_image png, bmp;
    rune_error err;
    CHECK_OK(rune_image_load(SHARED("testdata/no_person.png"), &png, &err), &err);
    CHECK_OK(rune_image_load(SHARED("testdata/no_person.bmp"), &bmp, &err), &err);
    CHECK_EQ_INT(png.width, 96);
    CHECK_EQ_INT(png.height, 96);
    CHECK_EQ_INT(png.channels, 1);
    CHECK_EQ_INT(bmp.width, 96);
    /* no_person.bmp stores plain gray bottom-up; stb flips it, so the pictures are identical. */
    if (bmp.channels == 1 && bmp.width == 96 && bmp.height == 96)
        CHECK(memcmp(png.pixels, bmp.pixels, 96 * 96) == 0);
    rune_image_free(&png);
    rune_image_free(&bmp);
}

TEST(image_convert_resizes_and_changes_channels)
{
    rune_image png, rgb, small, same;
    rune_error err;
    CHECK_OK(rune_image_load(SHARED("testdata/person.png"), &png, &err), &err);
    CHECK_OK(rune_image_convert(&png, 96, 96, 3, &rgb, &err), &err);
    CHECK_EQ_INT(rgb.channels, 3);
    CHECK_EQ_INT(rgb.pixels[3 * 500 + 1], png.pixels[500]);
    CHECK_OK(rune_image_convert(&rgb, 96, 96, 1, &same, &err), &err);
    CHECK(memcmp(same.pixels, png.pixels, 96 * 96) == 0); /* gray -> RGB -> gray is lossless */
    CHECK_OK(rune_image_convert(&png, 48, 48, 1, &small, &err), &err);
    CHECK_EQ_INT(small.width, 48);
    /* A box of 2x2 pixels averages near its resized pixel. */
    int avg = (png.pixels[0] + png.pixels[1] + png.pixels[96] + png.pixels[97]) / 4;
    CHECK(abs(avg - small.pixels[0]) < 40);
    rune_image_free(&small);
    CHECK_STATUS(rune_image_convert(&png, 96, 96, 2, &small, &err), RUNE_E_ARG);
    rune_image_free(&png);
    rune_image_free(&rgb);
    rune_image_free(&small);
    rune_image_free(&same);
}

TEST(image_garbage_is_refused)
{
    rune_image img;
    rune_error err;
    const uint8_t junk[] = "\x89PNG\r\n\x1a\nthis is not really a png";
    CHECK_STATUS(rune_image_decode(junk, sizeof junk, &img, &err), RUNE_E_MALFORMED);
    CHECK_STATUS(rune_image_decode(junk, 0, &img, &err), RUNE_E_MALFORMED);
}

TEST(csv_parses_accelerometer_rows)
{
    const char *text = "x,y,z\n0.1,0.2,9.8\n-1, 2.5 ,3\n\n# comment\n4;5;6\n";
    rune_csv c;
    rune_error err;
    CHECK_OK(rune_csv_parse(text, strlen(text), &c, &err), &err);
    CHECK_EQ_INT(c.n_rows, 3);
    CHECK_EQ_INT(c.n_cols, 3);
    CHECK_NEAR(c.values[2], 9.8, 1e-6);
    CHECK_NEAR(c.values[3], -1.0, 1e-6);
    CHECK_NEAR(c.values[8], 6.0, 1e-6);
    rune_csv_free(&c);
    const char *ragged = "1,2,3\n4,5\n";
    CHECK_STATUS(rune_csv_parse(ragged, strlen(ragged), &c, &err), RUNE_E_MALFORMED);
    CHECK_CONTAINS(err.msg, "line 2 has 2 columns");
    const char *bad = "1,2,3\n4,x,6\n";
    CHECK_STATUS(rune_csv_parse(bad, strlen(bad), &c, &err), RUNE_E_MALFORMED);
    CHECK_CONTAINS(err.msg, "line 2 column 3");
    CHECK_STATUS(rune_csv_parse("", 0, &c, &err), RUNE_E_MALFORMED);
}

int main(void)
{
    RUN(wav_reads_the_speech_commands_files);
    RUN(wav_samples_are_exact_and_speech_is_louder_than_silence);
    RUN(wav_resample_halves_and_doubles);
    RUN(wav_broken_files_are_clear_errors);
    RUN(png_and_bmp_decode_to_the_same_96x96_picture);
    RUN(image_convert_resizes_and_changes_channels);
    RUN(image_garbage_is_refused);
    RUN(csv_parses_accelerometer_rows);
    return test_report();
}
