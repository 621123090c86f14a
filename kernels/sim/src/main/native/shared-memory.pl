#!/usr/bin/env perl
# Usage: shared-memory.pl PREPROCESSED.ii > REWRITTEN.ii
#
# The step between preprocessing a kernel source for the simulated GPU and compiling it (Makefile):
# gives CUDA's __shared__ declarations their CPU meaning. cuda_sim.h defines __shared__ as the
# marker __jclip_sim_shared__, which only this script turns into C++:
#
#   extern __shared__ SPECIFIERS NAME[];  the launch's dynamic shared memory, as on a GPU: NAME
#       becomes a reference to an array of unknown bound, bound to jclip_sim_dynamic_shared():
#           static thread_local SPECIFIERS (&NAME)[] = ::jclip_sim_detail::dynamic_shared<decltype(NAME)>();
#       A true array lvalue, so NAME decays, indexes, and goes through reinterpret_cast as the
#       array does under nvcc; several declarations alias the same memory. Bound once per OS
#       thread: the simulator keeps a thread's dynamic shared memory at one address for the life
#       of the thread (runtime/shared_memory.h), and one OS thread runs one block at a time.
#       The same text works at file scope, in functions and in templates. An __align__(n) stays
#       and then aligns the reference itself, harmlessly; the memory it names is page-aligned,
#       which meets any alignment a kernel asks of it.
#   any other __shared__                   `static thread_local`: the block's own copy, shared by
#       its threads (fibers) while it runs (`static __shared__` loses the repeated `static`).
#
# An `extern __shared__` of another form (a sized array, several names in one declaration) is not
# what CUDA allows for dynamic shared memory; it becomes a static_assert, so that the compiler
# reports it at its line. Preprocessing has removed comments and expanded macros, and string
# literals cannot hold the marker (macros do not expand in them), so plain pattern matching is
# sound here. Every replacement keeps the number of lines it replaces, so the preprocessor's line
# markers still put compiler errors on the .cu file's own lines.
use strict;
use warnings;

my $marker = '__jclip_sim_shared__';
my $name = qr/[A-Za-z_]\w*/;

# What `replacement` stands for spans as many lines as `original` did.
sub same_lines {
    my ($replacement, $original) = @_;
    my $missing = ($original =~ tr/\n//) - ($replacement =~ tr/\n//);
    return $replacement . ("\n" x ($missing > 0 ? $missing : 0));
}

@ARGV == 1 or die "usage: shared-memory.pl PREPROCESSED.ii\n";
open(my $in, '<', $ARGV[0]) or die "shared-memory.pl: $ARGV[0]: $!\n";
my $text = do { local $/; <$in> };

# Specifiers before the marker hold no parentheses or braces, so that a match never starts at an
# unrelated `extern` (extern "C" __global__ void k(...) { __shared__ ... }).
$text =~ s{\bextern\b([^;{}()=#]*?)\b$marker\b([^;{}=#]*?)\b($name)\s*\[\s*\]\s*;}{
    same_lines("static thread_local$1$2(&$3)[] = ::jclip_sim_detail::dynamic_shared<decltype($3)>();", $&)
}ge;

$text =~ s{\bextern\b[^;{}()=#]*?\b$marker\b[^;]*;}{
    same_lines('static_assert(false, "extern __shared__ declares the dynamic shared memory as one array of '
               . 'unknown size: extern __shared__ T name[];");', $&)
}ge;

$text =~ s{\bstatic\s+$marker\b|\b$marker\s+static\b|\b$marker\b}{same_lines('static thread_local', $&)}ge;

print $text;
