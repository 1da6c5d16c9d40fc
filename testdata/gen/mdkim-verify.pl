#!/usr/bin/perl
# mdkim-verify.pl: verify every DKIM-Signature of one message with Perl
# Mail::DKIM (Debian 1.20230212), answering key queries from a zone file, at a
# fixed evaluation time. Used by crosscheck.py; not part of the fixtures.
#
# Usage: mdkim-verify.pl --zone keys.zone --now EPOCH < message
# Output: one line per DKIM-Signature, topmost first:
#   N<TAB>result<TAB>result_detail
# where result is Mail::DKIM's word (pass, fail, invalid, temperror, none).
#
# The input must already have CRLF line ends (Mail::DKIM's API expects the
# SMTP form); crosscheck.py converts LF files first, as the verifier does.
use strict;
use warnings;
use Getopt::Long;

my %o;
BEGIN {
	GetOptions(\%o, 'zone=s', 'now=i') or die "usage error\n";
	defined $o{zone} && defined $o{now} or die "need --zone and --now\n";
}
# Mail::DKIM reads the clock with time() for x= (Signature::check_expiration);
# override it before the modules are compiled.
BEGIN { *CORE::GLOBAL::time = sub () { $o{now} }; }

use Net::DNS;
use Mail::DKIM::Verifier;
use Mail::DKIM::DNS;

# --- a resolver answering from zone-file TXT records ------------------------
package ZoneResolver;

sub new {
	my ($class, $file) = @_;
	my %zone;
	open my $fh, '<', $file or die "$file: $!\n";
	while (my $line = <$fh>) {
		$line =~ s/\r?\n\z//;
		next if $line =~ /^\s*(;|$)/;
		$line =~ /^(\S+)\s+(?:\d+\s+)?(?:IN\s+)?TXT\s+(.*)$/i
			or die "$file: cannot parse: $line\n";
		my ($name, $rest) = (lc $1, $2);
		$name =~ s/\.\z//;
		my @strings;
		while ($rest =~ /\G\s*"((?:[^"\\]|\\.)*)"/gc) {
			(my $s = $1) =~ s/\\(.)/$1/g;
			push @strings, $s;
		}
		push @{ $zone{$name} }, \@strings;
	}
	return bless { zone => \%zone }, $class;
}

sub send {
	my ($self, $name, $type) = @_;
	$name =~ s/\.\z//;
	my $packet = Net::DNS::Packet->new($name, $type, 'IN');
	my $records = $self->{zone}{ lc $name };
	if (!$records) {
		$packet->header->rcode('NXDOMAIN');
	} elsif (uc $type eq 'TXT') {
		$packet->push(answer => Net::DNS::RR->new(
			name => $name, type => 'TXT', ttl => 3600, txtdata => $_))
			for @$records;
	}
	return $packet;
}

sub errorstring { 'NOERROR' }

package main;

Mail::DKIM::DNS::resolver(ZoneResolver->new($o{zone}));
binmode STDIN;
my $msg = do { local $/; <STDIN> };
my $dkim = Mail::DKIM::Verifier->new();
$dkim->PRINT($msg);
$dkim->CLOSE;
my $n = 0;
for my $sig ($dkim->signatures) {
	$n++;
	my $detail = $sig->result_detail // '';
	$detail =~ s/\s+/ /g;
	printf "%d\t%s\t%s\n", $n, $sig->result // '', $detail;
}
