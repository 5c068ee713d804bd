using NitroLive.Web.Live;

namespace NitroLive.Web.Tests.Live;

/// <summary>Renaming: one person, one name, kept for their return, cleaned of what would not read as a name.</summary>
public sealed class MemberNameTests
{
    private static readonly TimeSpan Timeout = LiveTestHost.Timeout;

    // A guest on two tabs is one entry of one name: renaming either page renames both, and everybody's next state says so.
    [Fact]
    public async Task AGuestsNewNameReachesEveryPageOfTheirsAndEverybodysList()
    {
        await using var host = await LiveTestHost.StartAsync();
        await using var owner = host.Live.CreateSession(new CreateSessionOptions(TypingOpen: false));
        await using var first = host.Live.JoinSession(owner.SessionId, LiveRole.Viewer);
        await using var second = host.Live.JoinSession(owner.SessionId, LiveRole.Viewer, guestKey: first.GuestKey);
        await using var stranger = host.Live.JoinSession(owner.SessionId, LiveRole.Viewer, "Sam");
        await owner.ReadUntilRequestAsync(1, Timeout); // the new session's first picture is a new state too: let it pass
        var before = owner.State.Version;

        Assert.Equal("Alex Smith", second.Rename("  Alex \t Smith "));

        Assert.Equal(("Alex Smith", "Alex Smith", "Sam"), (first.DisplayName, second.DisplayName, stranger.DisplayName));
        var alex = Assert.Single(owner.State.Members, m => m.Holds(second.MemberId));
        Assert.Equal(("Alex Smith", 1), (alex.DisplayName, alex.OtherPages.Count));
        Assert.True(owner.State.Version > before);
        var seen = await stranger.ReadStateUntilAsync(s => s.Members.Any(m => m.DisplayName == "Alex Smith"), Timeout);
        Assert.Contains(seen.Members, m => m.DisplayName == "Sam");

        // The same name again changes nothing, so it sends nobody a new state.
        var version = owner.State.Version;
        Assert.Equal("Alex Smith", first.Rename("Alex Smith"));
        Assert.Equal(version, owner.State.Version);
    }

    [Fact]
    public async Task AGuestBackWithTheirKeyHasTheNameTheyChoseLast()
    {
        await using var host = await LiveTestHost.StartAsync();
        await using var owner = host.Live.CreateSession(new CreateSessionOptions(TypingOpen: true));
        var guest = host.Live.JoinSession(owner.SessionId, LiveRole.Typist);
        guest.Rename("Robin");
        var key = guest.GuestKey;
        await guest.DisposeAsync();

        await using var back = host.Live.JoinSession(owner.SessionId, LiveRole.Typist, guestKey: key);
        Assert.Equal("Robin", back.DisplayName);
    }

    // The owner's new name is what viewers read in "typed by", and what the owner's next page (a reload) gets.
    [Fact]
    public async Task TheOwnersNewNameIsTheOneTheirReloadGets()
    {
        await using var host = await LiveTestHost.StartAsync();
        var owner = host.Live.CreateSession();
        Assert.Equal("Host", owner.DisplayName);
        Assert.Equal("Maya", owner.Rename("Maya"));
        var token = owner.OwnerToken;
        await using var kiosk = host.Live.JoinSession(owner.SessionId, LiveRole.Owner, "Kiosk", token);
        await owner.DisposeAsync();

        await using var reload = host.Live.JoinSession(kiosk.SessionId, LiveRole.Owner, ownerToken: token);
        Assert.Equal("Maya", reload.DisplayName);
        Assert.Equal("Kiosk", kiosk.DisplayName); // the owner's pages are renamed each on its own
    }

    // "Typed by Host" must mean the host: a guest cannot take the owner's name, by a rename (refused, with why) or by a
    // join (which is not worth refusing for it: the guest gets a name of their own).
    [Fact]
    public async Task NobodyButTheOwnerGoesByTheOwnersName()
    {
        await using var host = await LiveTestHost.StartAsync();
        await using var owner = host.Live.CreateSession(new CreateSessionOptions(TypingOpen: true));
        await using var guest = host.Live.JoinSession(owner.SessionId, LiveRole.Typist, "Robin");

        var refused = Assert.Throws<LiveException>(() => guest.Rename("HOST"));
        Assert.Equal(LiveErrorCode.InvalidArgument, refused.Code);
        Assert.Contains("owner's name", refused.Message, StringComparison.Ordinal);
        Assert.Equal("Robin", guest.DisplayName);

        await using var impostor = host.Live.JoinSession(owner.SessionId, LiveRole.Typist, "host");
        Assert.StartsWith("guest-", impostor.DisplayName, StringComparison.Ordinal);

        // Nor by a name that only looks like it: what it holds besides is invisible, and cleaned away.
        foreach (var lookalike in new[] { "Ho\u200Dst", "Host\uFE0F", "Host\U000E0041", "Ho\u034Fst", "Host\u3164", "H\u00ADost" })
        {
            Assert.Throws<LiveException>(() => guest.Rename(lookalike));
            await using var disguised = host.Live.JoinSession(owner.SessionId, LiveRole.Typist, lookalike);
            Assert.StartsWith("guest-", disguised.DisplayName, StringComparison.Ordinal);
        }

        // Once the owner is Maya, Maya is nobody else's, and "Host" still is nobody else's (viewers read it for the owner).
        owner.Rename("Maya");
        Assert.Throws<LiveException>(() => guest.Rename("Host"));
        Assert.Throws<LiveException>(() => guest.Rename("maya"));
        await using var another = host.Live.JoinSession(owner.SessionId, LiveRole.Viewer, "Maya");
        Assert.StartsWith("guest-", another.DisplayName, StringComparison.Ordinal);
        owner.Rename("Zo\u00EB");
        Assert.Throws<LiveException>(() => guest.Rename("zoe\u0308")); // the same name, typed decomposed
    }

    [Theory]
    [InlineData("  Alex \t\n Smith  ", "Alex Smith")]
    [InlineData("Al\u202Eex", "Alex")] // a bidi override would make the rest read backwards
    [InlineData("A\u0007l\u200Be\u2066x\u00AD", "Alex")] // control, zero-width space, isolate, soft hyphen
    [InlineData("{D800}Alex{DFFF}", "Alex")] // halves of broken pairs (written out below: test data cannot carry them)
    [InlineData("Alex\u2028Smith", "Alex Smith")] // a line separator is white space
    [InlineData("\U0001F469\u200D\U0001F4BB dev", "\U0001F469\u200D\U0001F4BB dev")] // the joiner of an emoji sequence stays
    [InlineData("Da\u200Dna", "Dana")] // a joiner, a variation selector, a tag, a grapheme joiner, a filler: all invisible
    [InlineData("Dana\uFE0F", "Dana")]
    [InlineData("Dana\U000E0041", "Dana")]
    [InlineData("Da\u034Fna", "Dana")]
    [InlineData("Dana\u3164", "Dana")]
    [InlineData("\u2800Robin\u2800\u2800Hood", "Robin Hood")] // the braille blank is a space
    [InlineData("\u2764\uFE0F Ana", "\u2764\uFE0F Ana")] // what emoji are made of stays where it makes one
    [InlineData("1\uFE0F\u20E3 Ana", "1\uFE0F\u20E3 Ana")]
    [InlineData("\U0001F44D\U0001F3FD Ana", "\U0001F44D\U0001F3FD Ana")]
    [InlineData("\U0001F3F4\U000E0067\U000E0062\U000E0073\U000E0063\U000E0074\U000E007F Ana", "\U0001F3F4\U000E0067\U000E0062\U000E0073\U000E0063\U000E0074\U000E007F Ana")]
    [InlineData("Zoë 李", "Zoë 李")]
    [InlineData("Zed (you)", "Zed")] // the list's own mark: others would read it as theirs
    [InlineData("Zed (YOU) (you)", "Zed")]
    [InlineData("Zoe\u0308", "Zo\u00EB")] // composed: one name however the keyboard typed it
    public async Task ANameIsCleanedOfWhatWouldNotShowAsText(string given, string kept)
    {
        given = given.Replace("{D800}", "\uD800", StringComparison.Ordinal).Replace("{DFFF}", "\uDFFF", StringComparison.Ordinal);
        await using var host = await LiveTestHost.StartAsync();
        await using var owner = host.Live.CreateSession(new CreateSessionOptions("Maya")); // "Host" is a guest's to take here
        await using var guest = host.Live.JoinSession(owner.SessionId, LiveRole.Viewer);

        Assert.Equal(kept, guest.Rename(given));
        Assert.Equal(kept, Assert.Single(owner.State.Members, m => m.Role == LiveRole.Viewer).DisplayName);
        await using var elsewhere = host.Live.CreateSession(new CreateSessionOptions("Maya")); // where the name is free
        await using var joined = host.Live.JoinSession(elsewhere.SessionId, LiveRole.Viewer, given);
        Assert.Equal(kept, joined.DisplayName);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("\u200B\u202E\u0007")]
    [InlineData("\u200D")]
    [InlineData("\uFE0F")]
    [InlineData("\u3164")]
    [InlineData("\U000E0020")]
    [InlineData("\u0301")] // an accent on nothing
    [InlineData("(you)")]
    public async Task ANameWithNothingToShowIsRefusedAndChangesNothing(string given)
    {
        await using var host = await LiveTestHost.StartAsync();
        await using var owner = host.Live.CreateSession();
        await using var guest = host.Live.JoinSession(owner.SessionId, LiveRole.Viewer, "Robin");
        await owner.ReadUntilRequestAsync(1, Timeout); // the new session's first picture is a new state too: let it pass
        var version = owner.State.Version;

        var refused = Assert.Throws<LiveException>(() => guest.Rename(given));
        Assert.Equal(LiveErrorCode.InvalidArgument, refused.Code);
        Assert.Contains("empty", refused.Message, StringComparison.Ordinal);
        Assert.Equal(("Robin", version), (guest.DisplayName, owner.State.Version));

        // Joining with it is joining without a name.
        await using var joined = host.Live.JoinSession(owner.SessionId, LiveRole.Viewer, given);
        Assert.StartsWith("guest-", joined.DisplayName, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ANameOverTheLimitIsRefusedWithTheLimit()
    {
        await using var host = await LiveTestHost.StartAsync();
        await using var owner = host.Live.CreateSession();
        await using var guest = host.Live.JoinSession(owner.SessionId, LiveRole.Viewer, "Robin");

        Assert.Equal(64, guest.Rename(new string('n', 60) + "\u202E\u202E\u202E\u202E\u202E" + "nnnn").Length); // counted once cleaned
        foreach (var tooLong in new[] { new string('n', 65), new string('n', 100_000) })
        {
            var refused = Assert.Throws<LiveException>(() => guest.Rename(tooLong));
            Assert.Equal(LiveErrorCode.InvalidArgument, refused.Code);
            Assert.Contains("limit", refused.Message, StringComparison.Ordinal);
            Assert.Contains("64", refused.Message, StringComparison.Ordinal);
        }

        Assert.Equal(64, guest.DisplayName.Length);

        // What is cleaned away does not count: a name padded with hundreds of spaces is its words.
        Assert.Equal("Ada", guest.Rename(new string(' ', 300) + "Ada"));
    }

    [Fact]
    public async Task ARenameAfterLeavingIsRefused()
    {
        await using var host = await LiveTestHost.StartAsync();
        await using var owner = host.Live.CreateSession();
        var guest = host.Live.JoinSession(owner.SessionId, LiveRole.Viewer, "Robin");
        await guest.DisposeAsync();

        Assert.Equal(LiveErrorCode.NotAMember, Assert.Throws<LiveException>(() => guest.Rename("Robin Hood")).Code);
    }

    // "Typed by Sam" and the owner's "Let type: Sam" must name one person: no two people go by names that would be taken
    // for one another. A rename is refused with why; a join gets the name with a number, never "Host 2".
    [Fact]
    public async Task NoTwoPeopleGoByNamesTakenForOneAnother()
    {
        await using var host = await LiveTestHost.StartAsync();
        await using var owner = host.Live.CreateSession(new CreateSessionOptions("Maya", TypingOpen: false));
        await using var sam = host.Live.JoinSession(owner.SessionId, LiveRole.Viewer, "Sam");
        await using var alex = host.Live.JoinSession(owner.SessionId, LiveRole.Viewer, "Alex");

        foreach (var lookalike in new[] { "sam", "Sám", "\u0405am", "Ｓａｍ" }) // a Cyrillic S, fullwidth letters
        {
            var refused = Assert.Throws<LiveException>(() => alex.Rename(lookalike));
            Assert.Contains("already goes by that name", refused.Message, StringComparison.Ordinal);
        }

        Assert.Throws<LiveException>(() => owner.Rename("Sam")); // the owner too: one name, one person
        Assert.Throws<LiveException>(() => sam.Rename("rnaya")); // "rn" reads as "m": the owner's name
        Assert.Equal("Sam", sam.Rename("Sam")); // their own name is theirs

        await using var second = host.Live.JoinSession(owner.SessionId, LiveRole.Viewer, "sam");
        Assert.Equal("sam 2", second.DisplayName);
        await using var third = host.Live.JoinSession(owner.SessionId, LiveRole.Viewer, "Sam");
        Assert.Equal("Sam 3", third.DisplayName);
        await using var maya = host.Live.JoinSession(owner.SessionId, LiveRole.Viewer, "Mауа"); // Cyrillic а and у
        Assert.StartsWith("guest-", maya.DisplayName, StringComparison.Ordinal);

        // "Host" stays the owner's word even after the owner renamed, so "typed by Host" never means a guest.
        Assert.Throws<LiveException>(() => alex.Rename("H0st"));
        await using var posing = host.Live.JoinSession(owner.SessionId, LiveRole.Viewer, "Host");
        Assert.StartsWith("guest-", posing.DisplayName, StringComparison.Ordinal);

        // A guest's two tabs are one person: the second takes the first's name, no number.
        await using var samsTab = host.Live.JoinSession(owner.SessionId, LiveRole.Viewer, guestKey: sam.GuestKey);
        Assert.Equal("Sam", samsTab.DisplayName);
    }

    [Theory]
    [InlineData("Host", "host")]
    [InlineData("Hóst (you)", "host")]
    [InlineData("\u041D\u043E\u0455t", "host")] // Cyrillic Н, о, ѕ
    [InlineData("ΑΙex", "alex")] // Greek capital alpha and iota
    [InlineData("Ｍａｙａ", "maya")]
    [InlineData("Da rn  a", "da m a")]
    public void NamesAreComparedAsTheyLook(string name, string key) => Assert.Equal(key, DisplayNames.LookAlikeKey(name));

    // "Show on a kiosk" joins the studio's session as the owner (its browser holds the owner token): a screen, not a second
    // owner. The list says so, and its name is nobody's owner name.
    [Fact]
    public async Task AKioskDisplayIsListedAsADisplayAndItsNameIsNotTheOwners()
    {
        await using var host = await LiveTestHost.StartAsync();
        await using var owner = host.Live.CreateSession(new CreateSessionOptions("Maya", TypingOpen: true));
        await using var kiosk = host.Live.JoinSession(owner.SessionId, LiveRole.Owner, "Kiosk", owner.OwnerToken, display: true);
        await using var guest = host.Live.JoinSession(owner.SessionId, LiveRole.Typist, "Robin");

        var members = owner.State.Members;
        Assert.Equal([false, true, false], members.Select(m => m.IsDisplay));
        Assert.NotEqual(members[1], members[1] with { IsDisplay = false });
        var refused = Assert.Throws<LiveException>(() => guest.Rename("kiosk"));
        Assert.Contains("already goes by", refused.Message, StringComparison.Ordinal); // somebody's, not the owner's

        // The owner's reload keeps the owner's name, not the display's.
        await using var reload = host.Live.JoinSession(owner.SessionId, LiveRole.Owner, ownerToken: owner.OwnerToken);
        Assert.Equal("Maya", reload.DisplayName);
    }
}
