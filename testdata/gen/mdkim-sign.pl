#!/usr/bin/perl
# mdkim-sign.pl: sign one message with Perl Mail::DKIM (Debian
# libmail-dkim-perl 1.20230212) and print the DKIM-Signature header field it
# made, CRLF-terminated, on stdout. The caller prepends it to the message.
#
# Usage: mdkim-sign.pl --key FILE --selector S --domain D [--algorithm A]
#          [--method C] [--timestamp T] [--expiration X] [--identity I]
#          [--headers h1:h2:...] [--query Q] [--tag name=value]... < message
#
# --headers gives the exact h= list (names may repeat or be absent from the
# message); without it Mail::DKIM's default list is used (the RFC 6376 §5.4.1
# "SHOULD sign" fields present in the message). --tag adds an extra (unknown)
# tag to the signature *before* signing, so it is covered by b=.
#
# Mail::DKIM::TextWrap is loaded, as Mail::DKIM's documentation recommends:
# the signature is then folded at 72 columns, and the folds may fall inside
# the bh= and b= values (FWS that verifiers must ignore, RFC 6376 §3.5).
use strict;
use warnings;
use Getopt::Long;
use Mail::DKIM::TextWrap;
use Mail::DKIM::Signer;
use Mail::DKIM::Signature;
use Mail::DKIM::PrivateKey;

my %o = (algorithm => 'rsa-sha256', method => 'relaxed/relaxed');
my @tags;
GetOptions(\%o, 'key=s', 'selector=s', 'domain=s', 'algorithm=s', 'method=s',
	'timestamp=i', 'expiration=i', 'identity=s', 'headers=s', 'query=s',
	'tag=s' => \@tags) or die "usage error\n";
defined $o{$_} or die "missing --$_\n" for qw(key selector domain);

my $key = Mail::DKIM::PrivateKey->load(File => $o{key});
binmode STDIN;
binmode STDOUT;
my $msg = do { local $/; <STDIN> };

# The Policy callback runs once the header block has been read, so that
# $signer->headers (the default h= list) is known.
my $policy = sub {
	my $signer = shift;
	my $sig = Mail::DKIM::Signature->new(
		Algorithm => $o{algorithm},
		Method    => $o{method},
		Domain    => $o{domain},
		Selector  => $o{selector},
		Headers   => defined $o{headers} ? $o{headers} : $signer->headers,
		Key       => $key,
		(defined $o{timestamp}  ? (Timestamp  => $o{timestamp})  : ()),
		(defined $o{expiration} ? (Expiration => $o{expiration}) : ()),
		(defined $o{identity}   ? (Identity   => $o{identity})   : ()),
		(defined $o{query}      ? (Query      => $o{query})      : ()),
	);
	for my $t (@tags) {
		my ($n, $v) = split /=/, $t, 2;
		$sig->set_tag($n, $v);
	}
	$signer->add_signature($sig);
	return;
};

my $signer = Mail::DKIM::Signer->new(Policy => $policy);
$signer->PRINT($msg);
$signer->CLOSE;
my $sig = $signer->signature or die "Mail::DKIM made no signature\n";
print $sig->as_string, "\015\012";
