#!/usr/bin/perl
# arc-mdkim-seal.pl: add one ARC set to a message with Perl Mail::DKIM's ARC
# signer (Mail::DKIM::ARC::Signer, Debian libmail-dkim-perl 1.20230212) and
# print the three fields it made -- ARC-Seal, ARC-Message-Signature,
# ARC-Authentication-Results, in that order, each CRLF-terminated -- on
# stdout. The caller prepends them to the message. Used by make-arc-fixtures.
#
# Usage: arc-mdkim-seal.pl --key FILE --selector S --domain D --srvid ID
#          [--timestamp T] [--chain ar|none|pass|fail] [--headers h1:h2]
#          < message
#
# --chain ar (the default) takes cv= from the "arc=" result of the newest
# Authentication-Results field whose authserv-id is --srvid, as a sealing MTA
# does after validating the incoming chain; the AAR copies those results.
# --headers is ADDED to Mail::DKIM's default AMS h= list (the RFC 6376 §5.4.1
# "SHOULD sign" fields present in the message); every instance of a listed
# field is signed, none is over-signed. The AMS is always relaxed/relaxed and
# rsa-sha256 (the only algorithm this Mail::DKIM can seal with).
#
# Mail::DKIM::TextWrap is loaded, as the documentation recommends, so the AMS
# and AS are folded at 72 columns (folds may fall inside b= and bh=).
use strict;
use warnings;
use Getopt::Long;
use Mail::DKIM::TextWrap;
use Mail::DKIM::ARC::Signer;
use Mail::DKIM::PrivateKey;

my %o = (chain => 'ar');
GetOptions(\%o, 'key=s', 'selector=s', 'domain=s', 'srvid=s', 'timestamp=i',
	'chain=s', 'headers=s') or die "usage error\n";
defined $o{$_} or die "missing --$_\n" for qw(key selector domain srvid);

# Load the key before reading the message: PrivateKey->load reads the PEM
# with the caller's $/ (see testdata/README.md).
my $key = Mail::DKIM::PrivateKey->load(File => $o{key});
binmode STDIN;
binmode STDOUT;
my $msg = do { local $/; <STDIN> };

my $signer = Mail::DKIM::ARC::Signer->new(
	Algorithm => 'rsa-sha256',
	Chain     => $o{chain},
	Domain    => $o{domain},
	SrvId     => lc $o{srvid},
	Selector  => $o{selector},
	Key       => $key,
	(defined $o{timestamp} ? (Timestamp => $o{timestamp}) : ()),
	(defined $o{headers}   ? (Headers   => $o{headers})   : ()),
);
$signer->PRINT($msg);
$signer->CLOSE;
$signer->result eq 'sealed'
	or die 'Mail::DKIM did not seal: ' . $signer->result . ' (' . ($signer->result_detail // '') . ")\n";
print $signer->as_string;
