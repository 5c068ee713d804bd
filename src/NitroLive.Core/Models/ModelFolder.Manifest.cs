using System.Text.Json;

namespace NitroLive.Core.Models;

// The model folder's reading of nitrolive.json, the model's own description (what it is, what it offers people).
public sealed partial class ModelFolder
{
    private sealed partial class Validator
    {
        private ModelManifest? ReadManifest(int? scaleFactor)
        {
            const string file = ManifestPath;
            if (RequireJsonObject(file, "the NitroLive model manifest (display_name, variant, shifted_timestep, sizes, ...)") is not { } json)
            {
                return null;
            }

            var ok = true;
            string RequiredString(string key)
            {
                if (json.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(v.GetString()))
                {
                    return v.GetString()!;
                }

                Problem(file, null, v.ValueKind == JsonValueKind.Undefined
                    ? $"'{key}' is missing, expected a non-empty string"
                    : $"'{key}' must be a non-empty string, found {Describe(v)}");
                ok = false;
                return string.Empty;
            }

            int RequiredInt(string key, int min, int max, int? multipleOf = null)
            {
                if (!json.TryGetProperty(key, out var v))
                {
                    Problem(file, null, $"'{key}' is missing, expected an integer from {min} to {max}");
                    ok = false;
                    return 0;
                }

                if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out var n) || n < min || n > max)
                {
                    Problem(file, null, $"'{key}' must be an integer from {min} to {max}, found {Describe(v)}");
                    ok = false;
                    return 0;
                }

                if (multipleOf is { } m && n % m != 0)
                {
                    Problem(file, null, $"'{key}' must be a multiple of the VAE scale factor {m}, found {n}");
                    ok = false;
                }

                return n;
            }

            // An optional array of strings, each valid, kept normalized and without repeats; empty when the key is absent.
            List<string> OptionalStrings(string key, Func<string, bool> valid, int? maxCount, string expected, Func<string, string> normalize)
            {
                if (!json.TryGetProperty(key, out var v))
                {
                    return [];
                }

                if (v.ValueKind != JsonValueKind.Array || v.GetArrayLength() > (maxCount ?? int.MaxValue)
                    || v.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.String || !valid(e.GetString()!)))
                {
                    Problem(file, null, $"'{key}' must be {expected}, found {Describe(v)}");
                    ok = false;
                    return [];
                }

                return [.. v.EnumerateArray().Select(e => normalize(e.GetString()!)).Distinct(StringComparer.Ordinal)];
            }

            var displayName = RequiredString("display_name");
            var variant = RequiredString("variant");
            var family = json.TryGetProperty("family", out _) ? RequiredString("family") : variant;
            var shifted = RequiredInt("shifted_timestep", 1, 999);
            var original = RequiredInt("original_inference_steps", 1, 1000);
            var nativeWidth = RequiredInt("native_width", 8, MaxImageSide, scaleFactor);
            var nativeHeight = RequiredInt("native_height", 8, MaxImageSide, scaleFactor);

            var steps = new List<int>();
            if (!json.TryGetProperty("supported_steps", out var s) || s.ValueKind != JsonValueKind.Array || s.GetArrayLength() == 0
                || s.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.Number || !e.TryGetInt32(out var n) || n < 1 || (original > 0 && n > original)))
            {
                Problem(file, null, s.ValueKind == JsonValueKind.Undefined
                    ? "'supported_steps' is missing, expected a non-empty array of step counts"
                    : $"'supported_steps' must be a non-empty array of integers from 1 to original_inference_steps ({original}), found {Describe(s)}");
                ok = false;
            }
            else
            {
                steps.AddRange(s.EnumerateArray().Select(e => e.GetInt32()));
            }

            var sizes = new List<(int, int)>();
            if (!json.TryGetProperty("sizes", out var z) || z.ValueKind != JsonValueKind.Array || z.GetArrayLength() == 0)
            {
                Problem(file, null, z.ValueKind == JsonValueKind.Undefined
                    ? "'sizes' is missing, expected a non-empty array of [width, height] pairs"
                    : $"'sizes' must be a non-empty array of [width, height] pairs, found {Describe(z)}");
                ok = false;
            }
            else
            {
                foreach (var pair in z.EnumerateArray())
                {
                    if (pair.ValueKind != JsonValueKind.Array || pair.GetArrayLength() != 2
                        || !pair[0].TryGetInt32(out var w) || !pair[1].TryGetInt32(out var h) || w < 8 || h < 8 || w > MaxImageSide || h > MaxImageSide)
                    {
                        Problem(file, null, $"'sizes' entries must be [width, height] pairs of integers from 8 to {MaxImageSide}, found {Describe(pair)}");
                        ok = false;
                    }
                    else if (scaleFactor is { } f && (w % f != 0 || h % f != 0))
                    {
                        Problem(file, null, $"'sizes' entry [{w}, {h}] is not a multiple of the VAE scale factor {f}");
                        ok = false;
                    }
                    else
                    {
                        sizes.Add((w, h));
                    }
                }
            }

            var embedded = false;
            if (json.TryGetProperty("embedded_demo", out var e))
            {
                if (e.ValueKind is JsonValueKind.True or JsonValueKind.False)
                {
                    embedded = e.GetBoolean();
                }
                else
                {
                    Problem(file, null, $"'embedded_demo' must be true or false, found {Describe(e)}");
                    ok = false;
                }
            }

            var license = string.Empty;
            if (json.TryGetProperty("license", out var l))
            {
                if (l.ValueKind == JsonValueKind.String)
                {
                    license = l.GetString()!;
                }
                else
                {
                    Problem(file, null, $"'license' must be a string, found {Describe(l)}");
                    ok = false;
                }
            }

            var examples = OptionalStrings(
                "example_prompts", p => !string.IsNullOrWhiteSpace(p) && p.Length <= MaxExamplePromptLength, maxCount: null,
                $"an array of non-empty prompts of at most {MaxExamplePromptLength} characters", p => p.Trim());
            var vocabulary = OptionalStrings(
                "vocabulary", p => p.Length > 0 && !p.Any(char.IsWhiteSpace), MaxVocabularySize,
                $"an array of at most {MaxVocabularySize:N0} words (no spaces)", p => p.ToLowerInvariant());

            return ok
                ? new ModelManifest(displayName, variant, family, shifted, original, nativeWidth, nativeHeight, steps, sizes, embedded, license, examples, vocabulary)
                : null;
        }
    }
}
