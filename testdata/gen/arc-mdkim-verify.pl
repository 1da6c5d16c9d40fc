#!/usr/bin/perl
# arc-mdkim-verify.pl: validate the ARC chain of one message with Perl
# Mail::DKIM's ARC verifier (Mail::DKIM::ARC::Verifier, Debian
# libmail-dkim-perl 1.20230212), answering key queries from zone files, at a
# fixed evaluation time. Used by arc-crosscheck.py; not part of the fixtures.
#
# Usage: arc-mdkim-verify.pl --zone FILE [--zone FILE]... --now EPOCH
#          [--strict] < message
# --strict sets the verifier's Strict option (rejects rsa-sha1 and RSA keys
# under 1024 bits), the mode Mail::DKIM's own ARC test-suite harness uses.
#
# Output (tab-separated):
#   chain<TAB>result<TAB>detail          (result: pass, fail, none, ...)
#   ams<TAB>i<TAB>result<TAB>detail      one line per ARC-Message-Signature
#   as<TAB>i<TAB>result<TAB>detail       one line per ARC-Seal
# The input must already have CRLF line ends.
use strict;
use warnings;
use Getopt::Long;

my %o;
my @zones;
BEGIN {
	GetOptions(\%o, 'zone=s' => \@zones, 'now=i', 'strict') or die "usage error\n";
	@zones && defined $o{now} or die "need --zone and --now\n";
}
# Mail::DKIM reads the clock with time() for x=; freeze it before compiling.
BEGIN { *CORE::GLOBAL::time = sub () { $o{now} }; }

use Net::DNS;
use Mail::DKIM::ARC::Verifier;
use Mail::DKIM::DNS;

# --- a resolver answering from zone-file TXT records (as mdkim-verify.pl) ---
package ZoneResolver;

sub new {
	my ($class, @files) = @_;
	my %zone;
	for my $file (@files) {
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

sub clean { my $s = shift // ''; $s =~ s/\s+/ /g; return $s }

Mail::DKIM::DNS::resolver(ZoneResolver->new(@zones));
binmode STDIN;
my $msg = do { local $/; <STDIN> };
my $arc = Mail::DKIM::ARC::Verifier->new($o{strict} ? (Strict => 1) : ());
$arc->PRINT($msg);
$arc->CLOSE;
printf "chain\t%s\t%s\n", $arc->result // '', clean($arc->result_detail);
for my $sig ($arc->signatures) {
	my $type = $sig->isa('Mail::DKIM::ARC::Seal') ? 'as' : 'ams';
	printf "%s\t%s\t%s\t%s\n", $type, $sig->instance // '?', $sig->result // '',
		clean($sig->result_detail);
}
