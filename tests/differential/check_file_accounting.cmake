# The per-file accounting of sift-difftest on a made-up shared directory
# (run by CTest as differential_file_accounting): a whole capture, one cut
# inside its 4th packet, one cut inside the file header, an empty one and
# a missing one. The report must give each its status, libpcap's error and
# the packets read before it; a bar no file can reach must fail the run.
set(pcaps ${DIR}/pcaps)
file(REMOVE_RECURSE ${DIR})
file(MAKE_DIRECTORY ${pcaps}/t)
execute_process(COMMAND ${GENCAP} -y EN10MB -c 20 -w ${pcaps}/t/whole.pcap RESULT_VARIABLE rc OUTPUT_QUIET)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "sift-gencap failed: ${rc}")
endif()
foreach(cut cut:700 header:10 empty:24)
  string(REPLACE ":" ";" parts ${cut})
  list(GET parts 0 name)
  list(GET parts 1 bytes)
  execute_process(COMMAND head -c ${bytes} ${pcaps}/t/whole.pcap OUTPUT_FILE ${pcaps}/t/${name}.pcap)
endforeach()
set(manifest "file\tformat\tlinktype\tpackets\tbytes\tnote\n")
foreach(name whole cut header empty missing)
  string(APPEND manifest "t/${name}.pcap\tpcap\t1\t0\t0\t\n")
endforeach()
file(WRITE ${pcaps}/MANIFEST.tsv "${manifest}")

function(run_difftest bar expected_rc)
  execute_process(COMMAND ${DIFFTEST} --quiet --shared ${DIR} --linktypes EN10MB --packets 200 --file-bar ${bar}
                          --file-report ${DIR}/files.tsv
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL expected_rc)
    message(FATAL_ERROR "sift-difftest --file-bar ${bar} exited ${rc}, expected ${expected_rc}:\n${out}${err}")
  endif()
  set(out "${out}" PARENT_SCOPE)
endfunction()

run_difftest(100 0)
file(READ ${DIR}/files.tsv report)
foreach(want
    "t/whole.pcap\t1\t1\tEN10MB\tok\t20\t20\t"
    "t/cut.pcap\t1\t1\tEN10MB\tdamaged\t3\t3\t[1-9][0-9]*\t.*truncated dump file"
    "t/header.pcap\t1\t\t\tunreadable\t0\t0\t0\t.*truncated dump file"
    "t/empty.pcap\t1\t1\tEN10MB\tempty\t0\t0\t0\t"
    "t/missing.pcap\t1\t\t\tunreadable\t0\t0\t0\t")
  if(NOT report MATCHES "${want}")
    message(FATAL_ERROR "files.tsv has no line matching '${want}':\n${report}")
  endif()
endforeach()
if(NOT out MATCHES "shared files: 5 \\(1 damaged, 1 empty, 1 ok, 2 unreadable\\); 2 tested with packets.* 0 disagree; 0 below the bar of 100")
  message(FATAL_ERROR "unexpected summary:\n${out}")
endif()

run_difftest(100000 1)
if(NOT out MATCHES "t/whole.pcap: [0-9]+ expressions compile with both on EN10MB, fewer than 100000" OR
   NOT out MATCHES "t/cut.pcap: " OR NOT out MATCHES "2 below the bar of 100000")
  message(FATAL_ERROR "the bar of 100000 did not name both files with packets:\n${out}")
endif()
